// See board.h.
#include "board.h"

#include <LittleFS.h>
#include <Preferences.h>
#include <WiFi.h>
#include <sys/time.h>
#include <time.h>

#include "config.h"
#include "secrets.h"

namespace board {

static Preferences prefs;

bool LittleFsStorage::begin(const char* path, size_t bytes) {
  path_ = path;
  if (!LittleFS.begin(true)) return false;  // formats a blank partition
  if (LittleFS.exists(path) && LittleFS.open(path, "r").size() == bytes) return true;
  File f = LittleFS.open(path, "w");
  if (!f) return false;
  uint8_t blank[64];
  memset(blank, 0xFF, sizeof blank);
  for (size_t done = 0; done < bytes; done += sizeof blank) f.write(blank, min(sizeof blank, bytes - done));
  f.close();
  return true;
}

bool LittleFsStorage::read(uint32_t offset, uint8_t* out, size_t n) {
  File f = LittleFS.open(path_, "r");
  bool ok = f && f.seek(offset) && f.read(out, n) == n;
  f.close();
  return ok;
}

bool LittleFsStorage::write(uint32_t offset, const uint8_t* data, size_t n) {
  File f = LittleFS.open(path_, "r+");
  bool ok = f && f.seek(offset) && f.write(data, n) == n;
  f.close();  // closing commits the write to flash
  return ok;
}

bool LittleFsStorage::flush() { return true; }

bool NvsSeqStore::load(uint64_t* value) {
  prefs.begin("fadjma", true);
  bool has = prefs.isKey("seq");
  if (has) *value = prefs.getULong64("seq", 0);
  prefs.end();
  return has;
}

bool NvsSeqStore::save(uint64_t value) {
  prefs.begin("fadjma", false);
  bool ok = prefs.putULong64("seq", value) == sizeof(uint64_t);
  prefs.end();
  return ok;
}

uint16_t next_boot_count() {
  prefs.begin("fadjma", false);
  uint16_t n = prefs.getUShort("boot", 0) + 1;
  prefs.putUShort("boot", n);
  prefs.end();
  return n;
}

uint32_t stored_interval_s(uint32_t fallback) {
  prefs.begin("fadjma", true);
  uint32_t v = prefs.getUInt("interval", fallback);
  prefs.end();
  return v;
}

void store_interval_s(uint32_t seconds) {
  prefs.begin("fadjma", false);
  prefs.putUInt("interval", seconds);
  prefs.end();
}

int battery_percent() {
  uint32_t mv = analogReadMilliVolts(FADJMA_PIN_BATTERY) * 2;  // 1:2 divider
  if (mv < 1000) return -1;  // no battery fitted (USB powered)
  long pct = map(static_cast<long>(mv), FADJMA_BATTERY_EMPTY_MV, FADJMA_BATTERY_FULL_MV, 0, 100);
  return static_cast<int>(constrain(pct, 0L, 100L));
}

uint32_t uptime_ms() { return millis(); }

static fadjma::Backoff wifi_backoff(FADJMA_BACKOFF_BASE_MS, FADJMA_BACKOFF_MAX_MS, [] { return esp_random(); });
static uint32_t wifi_next_try = 0;

void wifi_begin() {
  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(false);  // our backoff decides when, with jitter
  WiFi.begin(SECRET_WIFI_SSID, SECRET_WIFI_PASSWORD);
  wifi_next_try = millis() + 15000;
}

bool wifi_ready() {
  if (WiFi.status() == WL_CONNECTED) {
    wifi_backoff.reset();
    return true;
  }
  if (static_cast<int32_t>(millis() - wifi_next_try) >= 0) {
    uint32_t delay_ms = wifi_backoff.next_delay_ms();
    Serial.printf("[wifi] not connected; retrying, next attempt in %u ms\n", static_cast<unsigned>(delay_ms));
    WiFi.disconnect();
    WiFi.begin(SECRET_WIFI_SSID, SECRET_WIFI_PASSWORD);
    wifi_next_try = millis() + 15000 + delay_ms;
  }
  return false;
}

int wifi_rssi() { return WiFi.status() == WL_CONNECTED ? WiFi.RSSI() : 0; }

void time_begin() { configTime(0, 0, FADJMA_NTP_1, FADJMA_NTP_2); }

void time_poll(fadjma::WallClock& clock) {
  if (clock.synced()) return;
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  if (tv.tv_sec < 1700000000) return;  // not set by SNTP yet
  clock.sync(static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000, uptime_ms());
  Serial.println("[time] synced by SNTP");
}

}  // namespace board
