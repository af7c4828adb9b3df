// One reading set as the device measures and buffers it. Integers only (fixed point), so a
// record has one exact byte form in flash and one exact JSON form on the wire.
#pragma once
#include <cstdint>

namespace fadjma {

constexpr int16_t kNoTemperature = 0x7FFF;  // same "none" markers as the LoRa v2 payload
constexpr uint8_t kNone8 = 0xFF;

struct Reading {
  uint64_t seq = 0;
  int64_t ts_ms = 0;         // epoch milliseconds from SNTP; 0 = the clock was not synced yet
  uint32_t uptime_ms = 0;    // since boot, when measured (dates an unsynced reading after a sync)
  uint16_t boot = 0;         // boot counter at measurement
  int16_t temperature_centi = kNoTemperature;  // °C × 100
  uint16_t heart_rate = 0;   // /min, 0 = none
  uint8_t spo2 = kNone8;     // %, 0xFF = none
  uint8_t respiratory_rate = 0;  // /min, 0 = none

  bool has_values() const {
    return heart_rate != 0 || spo2 != kNone8 || temperature_centi != kNoTemperature || respiratory_rate != 0;
  }
};

}  // namespace fadjma
