// See outbox.h.
#include "outbox.h"

namespace fadjma {

bool Outbox::add(const Reading& r) {
  bool dropped = false;
  if (!buf_.push(r, &dropped)) return false;
  if (dropped && in_flight_ > 0) {  // the oldest (in flight) is gone: its late answer will not match
    --in_flight_;
    done_mask_ >>= 1;
  }
  return true;
}

bool Outbox::next(Reading* r) {
  while (in_flight_ < window_ && in_flight_ < buf_.size()) {
    if (buf_.peek(in_flight_, r)) {
      ++in_flight_;
      return true;
    }
    // A record that fails its CRC cannot be sent; count it and let it leave in order.
    ++corrupt_;
    done_mask_ |= 1u << in_flight_;
    ++in_flight_;
    release_prefix();
  }
  return false;
}

std::vector<Reading> Outbox::next_batch(uint32_t max) {
  std::vector<Reading> out;
  reset();
  for (uint32_t i = 0; i < buf_.size() && out.size() < max; ++i) {
    Reading r;
    if (buf_.peek(i, &r)) out.push_back(r);
    else ++corrupt_;
  }
  return out;
}

void Outbox::settle(uint64_t seq, Outcome o) {
  if (o == Outcome::Retry) {
    reset();
    return;
  }
  if (!is_final(o)) return;
  // In flight via next(), or anywhere in the buffer for a batch answer.
  uint32_t limit = buf_.size() < kMaxWindow ? buf_.size() : kMaxWindow;
  for (uint32_t i = 0; i < limit; ++i) {
    Reading r;
    if (!buf_.peek(i, &r) || r.seq != seq) continue;
    if (o == Outcome::Rejected && !(done_mask_ & (1u << i))) ++rejected_;
    done_mask_ |= 1u << i;
    if (i >= in_flight_) in_flight_ = i + 1;
    break;
  }
  release_prefix();
}

void Outbox::release_prefix() {
  uint32_t n = 0;
  while (n < in_flight_ && (done_mask_ & (1u << n))) ++n;
  if (n == 0) return;
  buf_.pop(n);
  in_flight_ -= n;
  done_mask_ = n >= 32 ? 0 : done_mask_ >> n;
}

void Outbox::reset() {
  // Keep the final answers already known for the front; resend the rest.
  uint32_t n = 0;
  while (n < in_flight_ && (done_mask_ & (1u << n))) ++n;
  in_flight_ = n;
  done_mask_ &= n >= 32 ? ~0u : ((1u << n) - 1);
  release_prefix();
}

}  // namespace fadjma
