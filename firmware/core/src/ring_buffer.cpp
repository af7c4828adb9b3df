// See ring_buffer.h. Little-endian fields, written byte by byte (no struct layout assumptions).
#include "ring_buffer.h"

#include <cstring>

namespace fadjma {

static constexpr uint32_t kMagic = 0x46444A31;  // "FDJ1"

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void put(uint8_t* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
static uint64_t get(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

void encode_record(const Reading& r, uint8_t out[kRecordSize]) {
  memset(out, 0, kRecordSize);
  put(out, r.seq, 8);
  put(out + 8, static_cast<uint64_t>(r.ts_ms), 8);
  put(out + 16, r.uptime_ms, 4);
  put(out + 20, r.boot, 2);
  put(out + 22, static_cast<uint16_t>(r.temperature_centi), 2);
  put(out + 24, r.heart_rate, 2);
  out[26] = r.spo2;
  out[27] = r.respiratory_rate;
  put(out + 28, crc32(out, 28), 4);
}

bool decode_record(const uint8_t in[kRecordSize], Reading* r) {
  if (get(in + 28, 4) != crc32(in, 28)) return false;
  r->seq = get(in, 8);
  r->ts_ms = static_cast<int64_t>(get(in + 8, 8));
  r->uptime_ms = static_cast<uint32_t>(get(in + 16, 4));
  r->boot = static_cast<uint16_t>(get(in + 20, 2));
  r->temperature_centi = static_cast<int16_t>(get(in + 22, 2));
  r->heart_rate = static_cast<uint16_t>(get(in + 24, 2));
  r->spo2 = in[26];
  r->respiratory_rate = in[27];
  return true;
}

bool RingBuffer::begin() {
  bool found = false;
  for (int slot = 0; slot < 2; ++slot) {
    uint8_t h[kHeaderSize];
    if (!storage_.read(slot * kHeaderSize, h, kHeaderSize)) continue;
    if (get(h, 4) != kMagic || get(h + 28, 4) != crc32(h, 28) || get(h + 4, 4) != capacity_) continue;
    uint32_t gen = static_cast<uint32_t>(get(h + 20, 4));
    if (found && gen <= generation_) continue;
    found = true;
    head_ = static_cast<uint32_t>(get(h + 8, 4));
    count_ = static_cast<uint32_t>(get(h + 12, 4));
    dropped_ = static_cast<uint32_t>(get(h + 16, 4));
    generation_ = gen;
  }
  if (found && head_ < capacity_ && count_ <= capacity_) return true;
  head_ = count_ = dropped_ = generation_ = 0;
  return save_header() && save_header();  // both slots valid
}

bool RingBuffer::save_header() {
  uint8_t h[kHeaderSize];
  memset(h, 0, sizeof h);
  ++generation_;
  put(h, kMagic, 4);
  put(h + 4, capacity_, 4);
  put(h + 8, head_, 4);
  put(h + 12, count_, 4);
  put(h + 16, dropped_, 4);
  put(h + 20, generation_, 4);
  put(h + 28, crc32(h, 28), 4);
  return storage_.write((generation_ % 2) * kHeaderSize, h, kHeaderSize) && storage_.flush();
}

bool RingBuffer::push(const Reading& r, bool* dropped_one) {
  if (dropped_one) *dropped_one = false;
  if (capacity_ == 0) return false;
  if (count_ == capacity_) {  // drop the oldest to make room
    head_ = (head_ + 1) % capacity_;
    --count_;
    ++dropped_;
    if (dropped_one) *dropped_one = true;
  }
  uint8_t rec[kRecordSize];
  encode_record(r, rec);
  uint32_t slot = (head_ + count_) % capacity_;
  if (!storage_.write(2 * kHeaderSize + slot * kRecordSize, rec, kRecordSize)) return false;
  ++count_;
  return save_header();
}

bool RingBuffer::peek(uint32_t index, Reading* r) const {
  if (index >= count_) return false;
  uint8_t rec[kRecordSize];
  uint32_t slot = (head_ + index) % capacity_;
  if (!storage_.read(2 * kHeaderSize + slot * kRecordSize, rec, kRecordSize)) return false;
  return decode_record(rec, r);
}

bool RingBuffer::pop(uint32_t n) {
  if (n > count_) n = count_;
  if (n == 0) return true;
  head_ = (head_ + n) % capacity_;
  count_ -= n;
  return save_header();
}

}  // namespace fadjma
