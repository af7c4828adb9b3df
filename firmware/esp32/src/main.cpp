// Fadjma bedside monitor: sample → persistent buffer → send/replay in order → acknowledgements.
// The logic is the portable core (../core, host-tested); this file wires it to the board.
#include <Arduino.h>
#include <WiFi.h>
#include <esp_sleep.h>

#include "board.h"
#include "config.h"
#include "fadjma_core.h"
#include "links.h"
#include "secrets.h"
#include "sensors.h"

static board::LittleFsStorage flash;
static fadjma::RingBuffer buffer(flash, FADJMA_BUFFER_CAPACITY);
static fadjma::Outbox outbox(buffer, FADJMA_WINDOW);
static board::NvsSeqStore seq_store;
static fadjma::SeqCounter seq(seq_store, FADJMA_SEQ_BLOCK);
static fadjma::WallClock* wall = nullptr;
static Link* g_link = nullptr;  // not `link`: that is POSIX link(2)
static uint32_t interval_s = FADJMA_INTERVAL_S;
static uint32_t next_sample_ms = 0, next_heartbeat_ms = 0, identify_until_ms = 0;
static bool reboot_after_ack = false;

static void on_command(const fadjma::Command& c) {
  bool ok = c.error.empty();
  if (ok) {
    switch (c.kind) {
      case fadjma::CommandKind::SetInterval:
        interval_s = c.interval_s;
        board::store_interval_s(interval_s);
        next_sample_ms = millis();
        break;
      case fadjma::CommandKind::Identify:
        identify_until_ms = millis() + c.seconds * 1000;
        break;
      case fadjma::CommandKind::SyncTime:
        wall->sync(c.now_ms, board::uptime_ms());
        break;
      case fadjma::CommandKind::Reboot:
        reboot_after_ack = true;
        break;
      case fadjma::CommandKind::Unknown:
        break;
    }
  }
  g_link->ack(c, ok, fadjma::command_result_json(c));
  Serial.printf("[cmd] %s %s\n", c.name.c_str(), ok ? "done" : c.error.c_str());
}

static fadjma::Health health() {
  return fadjma::Health{board::battery_percent(), board::wifi_rssi(), board::uptime_ms() / 1000,
                        ESP.getFreeHeap(), FADJMA_FIRMWARE_VERSION};
}

static void sample() {
  fadjma::Reading r;
  sensors::measure(&r);
  if (!r.has_values()) return;  // probe off and no thermometer: nothing worth a seq
  if (!seq.next(&r.seq)) {
    Serial.println("[seq] NVS write failed: reading not numbered, dropped");
    return;
  }
  wall->stamp(&r, board::uptime_ms());
  if (!outbox.add(r)) Serial.println("[buffer] flash write failed");
}

static void send_buffered() {
  fadjma::Reading r;
  while (g_link->ready() && outbox.next(&r)) {
    wall->resolve(&r);
    if (!g_link->send(r)) {
      outbox.reset();
      return;
    }
  }
#if FADJMA_HTTP_FALLBACK && !defined(FADJMA_LORAWAN)
  if (!g_link->ready() && board::wifi_ready() && outbox.pending() > 0) http_replay(outbox, *wall, FADJMA_BATCH);
#endif
}

void setup() {
  Serial.begin(115200);
  pinMode(FADJMA_PIN_LED, OUTPUT);
  uint16_t boot = board::next_boot_count();
  wall = new fadjma::WallClock(boot);
  interval_s = board::stored_interval_s(FADJMA_INTERVAL_S);
  if (!flash.begin("/readings.bin", fadjma::RingBuffer::bytes_needed(FADJMA_BUFFER_CAPACITY)) || !buffer.begin())
    Serial.println("[buffer] LittleFS unavailable: readings will not survive a reboot");
  seq.begin();
  sensors::begin();
  Serial.printf("[boot] %u, %u readings buffered (%u dropped so far), next seq %llu\n", boot, buffer.size(),
                buffer.dropped(), static_cast<unsigned long long>(seq.peek()));
#if defined(FADJMA_LORAWAN)
  g_link = make_lorawan_link();
#else
  board::wifi_begin();
  board::time_begin();
  g_link = FADJMA_LINK == FADJMA_LINK_WEBSOCKET ? make_websocket_link()
         : FADJMA_LINK == FADJMA_LINK_MQTT    ? make_mqtt_link()
                                              : make_socketio_link();
#endif
  g_link->begin(&outbox, on_command);
}

void loop() {
#if !defined(FADJMA_LORAWAN)
  if (board::wifi_ready()) {
    board::time_poll(*wall);
    g_link->loop();
  }
#else
  g_link->loop();
#endif
  uint32_t now = millis();
  if (static_cast<int32_t>(now - next_sample_ms) >= 0) {
    next_sample_ms = now + interval_s * 1000;
    sample();
  }
  if (static_cast<int32_t>(now - next_heartbeat_ms) >= 0 && g_link->ready()) {
    next_heartbeat_ms = now + FADJMA_HEARTBEAT_S * 1000;
    g_link->heartbeat(health());
  }
  send_buffered();
  digitalWrite(FADJMA_PIN_LED, identify_until_ms && static_cast<int32_t>(identify_until_ms - now) > 0
                                   ? (now / 250) % 2 : LOW);
  if (reboot_after_ack) {
    delay(500);  // let the acknowledgement leave
    ESP.restart();
  }
#if FADJMA_DEEP_SLEEP
  // Sleep once everything is sent, or after 20 s awake without a link: the buffer is in flash, the seq in NVS.
  if (outbox.pending() == 0 || millis() > 20000) {
    delay(200);
    esp_sleep_enable_timer_wakeup(static_cast<uint64_t>(interval_s) * 1000000ULL);
    esp_deep_sleep_start();
  }
#endif
  delay(10);
}
