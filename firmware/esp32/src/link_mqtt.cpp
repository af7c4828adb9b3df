// MQTT with PubSubClient: fadjma/devices/<id>/{vitals,heartbeat,ack}, commands on …/commands.
// Username = device id, password = token (mqtt/add-device.sh on the broker). PubSubClient publishes
// QoS 0 only, so a reading counts as delivered once written to the TCP connection; a reading lost
// with the connection is not resent (the Socket.IO link, with its acknowledgements, is preferred).
#include <PubSubClient.h>
#include <WiFi.h>

#include "config.h"
#include "links.h"
#include "secrets.h"

namespace {

class MqttLink : public Link {
 public:
  MqttLink() : client_(net_) {}
  void begin(fadjma::Outbox* outbox, CommandHandler on_command) override {
    Link::begin(outbox, on_command);
    self_ = this;
    client_.setServer(SECRET_MQTT_HOST, FADJMA_MQTT_PORT);
    client_.setBufferSize(1024);
    client_.setCallback([](char* topic, uint8_t* payload, unsigned int length) { self_->message(topic, payload, length); });
  }
  void loop() override {
    if (!client_.connected()) {
      if (static_cast<int32_t>(millis() - next_try_) < 0) return;
      if (client_.connect(SECRET_DEVICE_ID, SECRET_DEVICE_ID, SECRET_DEVICE_TOKEN)) {
        backoff_.reset();
        client_.subscribe(fadjma::mqtt_topic(SECRET_DEVICE_ID, "commands").c_str(), 1);
        outbox_->reset();
      } else {
        next_try_ = millis() + backoff_.next_delay_ms();
        return;
      }
    }
    client_.loop();
  }
  bool ready() override { return client_.connected(); }
  const char* name() const override { return "mqtt"; }

  bool send(const fadjma::Reading& r) override {
    bool ok = publish("vitals", fadjma::vitals_json(r));
    if (ok) outbox_->settle(r.seq, fadjma::Outcome::Accepted);
    return ok;
  }
  bool heartbeat(const fadjma::Health& h) override { return publish("heartbeat", fadjma::heartbeat_json(h)); }
  bool ack(const fadjma::Command& c, bool ok, const std::string& result) override {
    return publish("ack", fadjma::command_ack_json(c, ok, result));
  }

 private:
  bool publish(const char* kind, const std::string& body) {
    return client_.publish(fadjma::mqtt_topic(SECRET_DEVICE_ID, kind).c_str(),
                           reinterpret_cast<const uint8_t*>(body.data()), body.size(), false);
  }
  void message(char*, uint8_t* payload, unsigned int length) {
    std::string text(reinterpret_cast<const char*>(payload), length);
    fadjma::Command c;
    if (fadjma::parse_command(fadjma::json::Value::parse(text), &c)) on_command_(c);
  }

  static MqttLink* self_;
  WiFiClient net_;
  PubSubClient client_;
  fadjma::Backoff backoff_{FADJMA_BACKOFF_BASE_MS, FADJMA_BACKOFF_MAX_MS, [] { return esp_random(); }};
  uint32_t next_try_ = 0;
};

MqttLink* MqttLink::self_ = nullptr;

}  // namespace

Link* make_mqtt_link() { return new MqttLink(); }
