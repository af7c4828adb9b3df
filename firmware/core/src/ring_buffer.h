// A persistent ring buffer of readings behind a storage interface (LittleFS file on the board,
// memory in host tests). When full, the oldest reading is dropped and counted: a device that
// stays offline keeps the most recent data, and the server can be told how much was lost.
//
// Layout: two 32-byte header slots (generation + CRC, written alternately, so a power cut while
// writing a header leaves the previous one valid), then `capacity` records of 32 bytes with a
// CRC each. A record is written before the header that makes it count.
#pragma once
#include <cstddef>
#include <cstdint>

#include "reading.h"

namespace fadjma {

class Storage {
 public:
  virtual ~Storage() = default;
  virtual bool read(uint32_t offset, uint8_t* out, size_t n) = 0;
  virtual bool write(uint32_t offset, const uint8_t* data, size_t n) = 0;
  virtual bool flush() { return true; }
};

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

constexpr size_t kRecordSize = 32;
constexpr size_t kHeaderSize = 32;
void encode_record(const Reading& r, uint8_t out[kRecordSize]);
bool decode_record(const uint8_t in[kRecordSize], Reading* r);  // false on a bad CRC

class RingBuffer {
 public:
  RingBuffer(Storage& storage, uint32_t capacity) : storage_(storage), capacity_(capacity) {}
  // Loads the newest valid header; formats an empty buffer when there is none (or another capacity).
  bool begin();
  // Appends; when full drops the oldest first. Returns false only on a storage failure.
  bool push(const Reading& r, bool* dropped_one = nullptr);
  bool peek(uint32_t index, Reading* r) const;  // 0 = oldest; false if out of range or corrupt
  bool pop(uint32_t n = 1);                      // removes the n oldest
  uint32_t size() const { return count_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t dropped() const { return dropped_; }  // readings lost to overflow since formatting
  bool empty() const { return count_ == 0; }
  static size_t bytes_needed(uint32_t capacity) { return 2 * kHeaderSize + capacity * kRecordSize; }

 private:
  bool save_header();
  Storage& storage_;
  uint32_t capacity_;
  uint32_t head_ = 0, count_ = 0, dropped_ = 0, generation_ = 0;
};

}  // namespace fadjma
