// Settings of the bedside firmware (everything that is not a secret). Secrets: secrets.h.
#pragma once

// --- Server ---------------------------------------------------------------------------------
#define FADJMA_SERVER_PORT 8000
#define FADJMA_USE_TLS 0               // 1: wss/https (give the server's CA in secrets.h)
// Live link: FADJMA_LINK_SOCKETIO (namespace /devices), FADJMA_LINK_WEBSOCKET (/ws/iot/<id>/),
// FADJMA_LINK_MQTT (fadjma/devices/<id>/...). LoRaWAN builds (FADJMA_LORAWAN) use the radio instead.
#define FADJMA_LINK_SOCKETIO 1
#define FADJMA_LINK_WEBSOCKET 2
#define FADJMA_LINK_MQTT 3
#define FADJMA_LINK FADJMA_LINK_SOCKETIO
#define FADJMA_HTTP_FALLBACK 1         // replay the buffer over POST /api/iot/batch while the socket is down
#define FADJMA_MQTT_PORT 1883

// --- Sampling and buffering -------------------------------------------------------------------
#define FADJMA_INTERVAL_S 5            // default; the server's set_interval command changes it (kept in NVS)
#define FADJMA_HEARTBEAT_S 60
#define FADJMA_BUFFER_CAPACITY 4096    // readings kept in flash (32 bytes each: 128 KiB of LittleFS)
#define FADJMA_WINDOW 8                // readings sent and not yet acknowledged
#define FADJMA_BATCH 50                // readings per HTTP batch
#define FADJMA_SEQ_BLOCK 64            // seq numbers reserved per NVS write
#define FADJMA_DEEP_SLEEP 0            // 1: sleep between samples (interval ≥ 60 s advised); buffer and seq are kept

// --- Reconnection (exponential backoff with equal jitter) ---------------------------------------
#define FADJMA_BACKOFF_BASE_MS 1000
#define FADJMA_BACKOFF_MAX_MS 60000

// --- Time -----------------------------------------------------------------------------------------
#define FADJMA_NTP_1 "pool.ntp.org"
#define FADJMA_NTP_2 "time.google.com"

// --- Hardware ----------------------------------------------------------------------------------------
#define FADJMA_PIN_SDA 21
#define FADJMA_PIN_SCL 22
#define FADJMA_PIN_LED 2                 // identify: blinks
#define FADJMA_PIN_BATTERY 35            // ADC1, through a 1:2 divider
#define FADJMA_BATTERY_EMPTY_MV 3300
#define FADJMA_BATTERY_FULL_MV 4200
#define FADJMA_PROBE_OFF_IR 50000        // MAX30102 IR level below which no finger is on the sensor

// --- LoRaWAN (FADJMA_LORAWAN builds; SX1276 wiring of a TTGO LoRa32 / Heltec-like board) ----------
#define FADJMA_LORA_PIN_NSS 18
#define FADJMA_LORA_PIN_RST 14
#define FADJMA_LORA_PIN_DIO0 26
#define FADJMA_LORA_PIN_DIO1 33
#define FADJMA_LORA_PIN_DIO2 32
#define FADJMA_LORA_PORT 2
#define FADJMA_LORA_PAYLOAD_V2 1         // 0: the earlier 8-byte v0 payload
