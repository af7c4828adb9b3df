// LoRaWAN (FADJMA_LORAWAN builds) with MCCI's LMIC: OTAA join, one unconfirmed uplink per reading
// with the core's v2 payload (or v0). The network server's webhook (The Things Stack or ChirpStack)
// brings it to the server. No downlink commands over LoRaWAN; heartbeats ride in the payload (battery).
#if defined(FADJMA_LORAWAN)
#include <SPI.h>
#include <hal/hal.h>
#include <lmic.h>

#include "board.h"
#include "config.h"
#include "links.h"
#include "secrets.h"

static const uint8_t kDevEui[8] = SECRET_LORA_DEVEUI_LSB;
static const uint8_t kJoinEui[8] = SECRET_LORA_JOINEUI_LSB;
static const uint8_t kAppKey[16] = SECRET_LORA_APPKEY_MSB;
void os_getDevEui(u1_t* buf) { memcpy(buf, kDevEui, 8); }
void os_getArtEui(u1_t* buf) { memcpy(buf, kJoinEui, 8); }
void os_getDevKey(u1_t* buf) { memcpy(buf, kAppKey, 16); }

const lmic_pinmap lmic_pins = {
    .nss = FADJMA_LORA_PIN_NSS,
    .rxtx = LMIC_UNUSED_PIN,
    .rst = FADJMA_LORA_PIN_RST,
    .dio = {FADJMA_LORA_PIN_DIO0, FADJMA_LORA_PIN_DIO1, FADJMA_LORA_PIN_DIO2},
};

static bool joined = false, busy = false;
static uint64_t sending_seq = 0;
static fadjma::Outbox* lora_outbox = nullptr;

void onEvent(ev_t ev) {
  switch (ev) {
    case EV_JOINED:
      joined = true;
      LMIC_setLinkCheckMode(0);
      break;
    case EV_TXCOMPLETE:
      busy = false;
      if (lora_outbox) lora_outbox->settle(sending_seq, fadjma::Outcome::Accepted);  // sent; not confirmed
      break;
    case EV_JOIN_FAILED:
    case EV_REJOIN_FAILED:
    case EV_LINK_DEAD:
      joined = false;
      busy = false;
      if (lora_outbox) lora_outbox->reset();
      break;
    default:
      break;
  }
}

namespace {
class LoraLink : public Link {
 public:
  void begin(fadjma::Outbox* outbox, CommandHandler on_command) override {
    Link::begin(outbox, on_command);
    lora_outbox = outbox;
    os_init();
    LMIC_reset();
    LMIC_startJoining();
  }
  void loop() override { os_runloop_once(); }
  bool ready() override { return joined && !busy && !(LMIC.opmode & OP_TXRXPEND); }
  const char* name() const override { return "lorawan"; }
  bool send(const fadjma::Reading& r) override {
    uint8_t payload[fadjma::kLoraV2Size];
    uint32_t uptime_s = board::uptime_ms() / 1000;
    int battery = board::battery_percent();
    size_t n = FADJMA_LORA_PAYLOAD_V2
                   ? fadjma::encode_lora_v2(r, battery < 0 ? fadjma::kNone8 : static_cast<uint8_t>(battery), uptime_s, payload)
                   : fadjma::encode_lora_v0(r, uptime_s, payload);
    if (LMIC_setTxData2(FADJMA_LORA_PORT, payload, n, 0) != 0) return false;
    busy = true;
    sending_seq = r.seq;
    return true;
  }
  bool heartbeat(const fadjma::Health&) override { return true; }  // battery and uptime are in every uplink
  bool ack(const fadjma::Command&, bool, const std::string&) override { return false; }
};
}  // namespace

Link* make_lorawan_link() { return new LoraLink(); }
#else
#include "links.h"
Link* make_lorawan_link() { return nullptr; }
#endif
