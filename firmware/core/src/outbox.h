// Replay in order with a bounded window of unacknowledged readings. Every reading goes into the
// persistent ring buffer first; the link sends the oldest ones, and a reading leaves the buffer
// only when the server's answer is final (accepted, duplicate or rejected) and every older one
// has left too. After a disconnect everything in flight is sent again: the server keys readings
// by (device, seq), so a reading whose ack was lost is answered `duplicate`, never stored twice.
#pragma once
#include <cstdint>
#include <vector>

#include "frames.h"
#include "ring_buffer.h"

namespace fadjma {

class Outbox {
 public:
  static constexpr uint32_t kMaxWindow = 32;
  Outbox(RingBuffer& buffer, uint32_t window = 8) : buf_(buffer), window_(window > kMaxWindow ? kMaxWindow : window) {}

  bool add(const Reading& r);              // buffer a new reading (drops the oldest when full)
  bool next(Reading* r);                   // the next reading to send, marked in flight; false if none/window full
  std::vector<Reading> next_batch(uint32_t max);  // for POST /api/iot/batch (ignores the window)
  void settle(uint64_t seq, Outcome o);    // the server's answer for one reading
  void reset();                            // link lost: in-flight readings will be sent again
  uint32_t in_flight() const { return in_flight_; }
  uint32_t pending() const { return buf_.size(); }
  uint32_t rejected() const { return rejected_; }
  uint32_t corrupt() const { return corrupt_; }
  uint32_t dropped() const { return buf_.dropped(); }

 private:
  void release_prefix();
  RingBuffer& buf_;
  uint32_t window_;
  uint32_t in_flight_ = 0;   // the first in_flight_ buffered readings were sent
  uint32_t done_mask_ = 0;   // bit i: the i-th buffered reading got its final answer
  uint32_t rejected_ = 0, corrupt_ = 0;
};

}  // namespace fadjma
