// Socket.IO v4 namespace /devices through links2004's SocketIOclient. The library sends "40"/"42"
// + what we give it; the core builds those payloads (byte-exact, see firmware/vectors).
#include <SocketIOclient.h>

#include "config.h"
#include "links.h"
#include "secrets.h"

namespace {

class SocketIoLink : public Link {
 public:
  void begin(fadjma::Outbox* outbox, CommandHandler on_command) override {
    Link::begin(outbox, on_command);
    self_ = this;
    client_.onEvent([](socketIOmessageType_t type, uint8_t* payload, size_t length) { self_->event(type, payload, length); });
    client_.begin(SECRET_SERVER_HOST, FADJMA_SERVER_PORT, "/socket.io/?EIO=4");
  }
  void loop() override { client_.loop(); }
  bool ready() override { return joined_ && client_.isConnected(); }
  const char* name() const override { return "socketio"; }

  bool send(const fadjma::Reading& r) override {
    uint32_t id = next_id();
    remember(id, r.seq);
    std::string p = fadjma::sio_event_payload(id, "vitals:send", fadjma::vitals_json(r));
    return client_.sendEVENT(p.c_str(), p.size());
  }
  bool heartbeat(const fadjma::Health& h) override {
    std::string p = fadjma::sio_event_payload(next_id(), "device:heartbeat", fadjma::heartbeat_json(h));
    return client_.sendEVENT(p.c_str(), p.size());
  }
  bool ack(const fadjma::Command& c, bool ok, const std::string& result) override {
    std::string p = fadjma::sio_event_payload(next_id(), "command:ack", fadjma::command_ack_json(c, ok, result));
    return client_.sendEVENT(p.c_str(), p.size());
  }

 private:
  void event(socketIOmessageType_t type, uint8_t* payload, size_t length) {
    const char* text = reinterpret_cast<const char*>(payload);
    switch (type) {
      case sIOtype_CONNECT:
        if (length > 0 && text[0] == '/') {  // "/devices,{sid}": the namespace accepted our token
          joined_ = true;
          Serial.println("[sio] joined /devices");
        } else {  // the transport is up: join the namespace with our id and token
          std::string p = fadjma::sio_connect_payload(SECRET_DEVICE_ID, SECRET_DEVICE_TOKEN);
          client_.send(sIOtype_CONNECT, p.c_str(), p.size());
        }
        break;
      case sIOtype_DISCONNECT:
        joined_ = false;
        outbox_->reset();  // in-flight readings are sent again after the reconnection
        break;
      case sIOtype_ERROR:  // "44/devices,{message}": refused (token_invalid, token_revoked...)
        Serial.printf("[sio] refused: %.*s\n", static_cast<int>(length), text);
        joined_ = false;
        break;
      case sIOtype_ACK: {
        fadjma::SioPacket p = fadjma::parse_sio_payload(text, length);
        uint64_t seq;
        if (p.ok && p.ack_id >= 0 && take(static_cast<uint32_t>(p.ack_id), &seq)) {
          fadjma::Answer a = fadjma::parse_sio_vitals_ack(p.array());
          outbox_->settle(seq, a.outcome);
        }
        break;
      }
      case sIOtype_EVENT: {
        fadjma::SioPacket p = fadjma::parse_sio_payload(text, length);
        if (!p.ok) break;
        fadjma::json::Value args = p.array();
        fadjma::Command c;
        if (args.at(0).as_string() == "device:command" && fadjma::parse_command(args.at(1), &c)) on_command_(c);
        break;
      }
      default:
        break;
    }
  }

  uint32_t next_id() { return ++last_id_; }
  void remember(uint32_t id, uint64_t seq) {
    pending_[id % kSlots] = {id, seq, true};
  }
  bool take(uint32_t id, uint64_t* seq) {
    Pending& p = pending_[id % kSlots];
    if (!p.used || p.id != id) return false;
    p.used = false;
    *seq = p.seq;
    return true;
  }

  struct Pending { uint32_t id; uint64_t seq; bool used; };
  static constexpr uint32_t kSlots = 64;  // > window + heartbeats/acks in flight
  static SocketIoLink* self_;
  SocketIOclient client_;
  Pending pending_[kSlots] = {};
  uint32_t last_id_ = 0;
  bool joined_ = false;
};

SocketIoLink* SocketIoLink::self_ = nullptr;

}  // namespace

Link* make_socketio_link() { return new SocketIoLink(); }
