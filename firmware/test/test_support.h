// Shared by the host tests: vector record types, an in-memory Storage with fault injection.
#pragma once
#include <cstring>
#include <string>
#include <vector>

#include "fadjma_core.h"

inline fadjma::Reading R(unsigned long long seq, long long ts_ms, unsigned uptime_ms, int boot, int hr, int spo2,
                         int temp, int rr) {
  fadjma::Reading r;
  r.seq = seq;
  r.ts_ms = ts_ms;
  r.uptime_ms = uptime_ms;
  r.boot = static_cast<uint16_t>(boot);
  r.heart_rate = static_cast<uint16_t>(hr);
  r.spo2 = static_cast<uint8_t>(spo2);
  r.temperature_centi = static_cast<int16_t>(temp);
  r.respiratory_rate = static_cast<uint8_t>(rr);
  return r;
}

struct FrameVector {
  const char* name;
  const char* transport;
  int ack_id;
  std::vector<fadjma::Reading> readings;
  const char* sends;
  const char* answer;
  int answer_status;
  std::vector<std::string> outcomes;
  const char* topic;
};

struct HeartbeatVector {
  const char* name;
  const char* transport;
  int ack_id;
  int battery, rssi;
  unsigned uptime_s, free_heap;
  const char* firmware;
  const char* sends;
  const char* answer;
};

struct CommandVector {
  const char* name;
  const char* transport;
  int ack_id;
  const char* receives;
  const char* kind;
  unsigned interval_s, seconds;
  long long now_ms;
  const char* sends;
  const char* answer;
};

struct LoraVector {
  const char* name;
  int version;
  fadjma::Reading reading;
  int battery;
  unsigned uptime_s;
  const char* hex;
};

// Flash stand-in: survives "reboots" (new RingBuffer objects over the same bytes) and can fail.
class MemoryStorage : public fadjma::Storage {
 public:
  explicit MemoryStorage(size_t size) : bytes(size, 0xFF) {}
  bool read(uint32_t off, uint8_t* out, size_t n) override {
    if (off + n > bytes.size()) return false;
    memcpy(out, bytes.data() + off, n);
    return true;
  }
  bool write(uint32_t off, const uint8_t* data, size_t n) override {
    if (fail_writes || off + n > bytes.size()) return false;
    memcpy(bytes.data() + off, data, n);
    ++writes;
    return true;
  }
  std::vector<uint8_t> bytes;
  bool fail_writes = false;
  unsigned writes = 0;
};

inline std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) { s += d[p[i] >> 4]; s += d[p[i] & 15]; }
  return s;
}
