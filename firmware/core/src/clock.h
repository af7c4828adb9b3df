// Wall time from SNTP (or the server's sync_time command) mapped onto uptime, so a reading
// measured before the first sync can still be dated once the clock is known, if the device
// has not rebooted since (uptime is only meaningful within one boot).
#pragma once
#include <cstdint>
#include <string>

#include "reading.h"

namespace fadjma {

// "2026-11-28T08:30:00.123456+00:00" / "...Z" -> epoch ms; false if not such a time.
bool parse_iso8601_ms(const std::string& text, int64_t* epoch_ms);

class WallClock {
 public:
  explicit WallClock(uint16_t boot = 0) : boot_(boot) {}
  void sync(int64_t epoch_ms, uint32_t uptime_ms) { epoch_ = epoch_ms; at_uptime_ = uptime_ms; synced_ = true; }
  bool synced() const { return synced_; }
  uint16_t boot() const { return boot_; }
  int64_t now_ms(uint32_t uptime_ms) const;  // 0 when not synced
  // Fills ts_ms (or leaves 0), uptime_ms and boot of a new reading.
  void stamp(Reading* r, uint32_t uptime_ms) const;
  // Before sending: dates an unsynced reading of this boot once the clock is synced.
  void resolve(Reading* r) const;

 private:
  uint16_t boot_;
  bool synced_ = false;
  int64_t epoch_ = 0;
  uint32_t at_uptime_ = 0;
};

}  // namespace fadjma
