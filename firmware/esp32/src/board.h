// The board's side of the core's interfaces (flash ring buffer file, NVS), WiFi with backoff and
// jitter, SNTP, battery. Everything here is Arduino/ESP-IDF; the logic it serves is in ../core.
#pragma once
#include <Arduino.h>

#include "fadjma_core.h"

namespace board {

// The ring buffer's bytes in one pre-sized LittleFS file (written in place; survives deep sleep and reboots).
class LittleFsStorage : public fadjma::Storage {
 public:
  bool begin(const char* path, size_t bytes);
  bool read(uint32_t offset, uint8_t* out, size_t n) override;
  bool write(uint32_t offset, const uint8_t* data, size_t n) override;
  bool flush() override;

 private:
  const char* path_ = nullptr;
};

class NvsSeqStore : public fadjma::SeqStore {
 public:
  bool load(uint64_t* value) override;
  bool save(uint64_t value) override;
};

uint16_t next_boot_count();           // NVS counter, incremented once per boot or deep-sleep wake
uint32_t stored_interval_s(uint32_t fallback);
void store_interval_s(uint32_t seconds);
int battery_percent();
uint32_t uptime_ms();

// WiFi: connect, and after a loss retry with the core's Backoff (equal jitter from esp_random()).
void wifi_begin();
bool wifi_ready();                    // connected now (also drives the reconnection schedule)
int wifi_rssi();

// SNTP: started once WiFi is up; `clock` is synced when the system time is valid.
void time_begin();
void time_poll(fadjma::WallClock& clock);

}  // namespace board
