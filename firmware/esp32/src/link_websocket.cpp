// The raw WebSocket /ws/iot/<id>/ (WebSocketsClient). The token goes in the one-argument
// setAuthorization("Bearer <token>"): the two-argument form sends HTTP Basic, which the server refuses.
// The server answers frames in order, so the seqs in flight are a FIFO.
#include <WebSocketsClient.h>

#include "config.h"
#include "links.h"
#include "secrets.h"

namespace {

class WsLink : public Link {
 public:
  void begin(fadjma::Outbox* outbox, CommandHandler on_command) override {
    Link::begin(outbox, on_command);
    self_ = this;
    path_ = fadjma::ws_path(SECRET_DEVICE_ID);
    auth_ = fadjma::bearer_header(SECRET_DEVICE_TOKEN);
    client_.setAuthorization(auth_.c_str());
    client_.setReconnectInterval(FADJMA_BACKOFF_BASE_MS * 5);
    client_.enableHeartbeat(20000, 5000, 2);
    client_.onEvent([](WStype_t type, uint8_t* payload, size_t length) { self_->event(type, payload, length); });
    client_.begin(SECRET_SERVER_HOST, FADJMA_SERVER_PORT, path_.c_str());
  }
  void loop() override { client_.loop(); }
  bool ready() override { return client_.isConnected(); }
  const char* name() const override { return "websocket"; }

  bool send(const fadjma::Reading& r) override {
    std::string f = fadjma::ws_vitals_json(r);
    if (!client_.sendTXT(f.c_str(), f.size())) return false;
    push(kVitals, r.seq);
    return true;
  }
  bool heartbeat(const fadjma::Health& h) override {
    std::string f = fadjma::heartbeat_json(h, "heartbeat");
    if (!client_.sendTXT(f.c_str(), f.size())) return false;
    push(kOther, 0);
    return true;
  }
  bool ack(const fadjma::Command& c, bool ok, const std::string& result) override {
    std::string f = fadjma::command_ack_json(c, ok, result, "command_ack");
    if (!client_.sendTXT(f.c_str(), f.size())) return false;
    push(kOther, 0);
    return true;
  }

 private:
  enum Kind : uint8_t { kVitals, kOther };
  void event(WStype_t type, uint8_t* payload, size_t length) {
    if (type == WStype_DISCONNECTED) {
      head_ = count_ = 0;
      outbox_->reset();
      return;
    }
    if (type != WStype_TEXT) return;
    std::string text(reinterpret_cast<const char*>(payload), length);
    fadjma::json::Value v = fadjma::json::Value::parse(text);
    if (v.get("type").as_string() == "command") {
      fadjma::Command c;
      if (fadjma::parse_command(v, &c)) on_command_(c);
      return;
    }
    if (count_ == 0) return;  // an answer we did not wait for
    Sent s = fifo_[head_];
    head_ = (head_ + 1) % kSlots;
    --count_;
    if (s.kind == kVitals) outbox_->settle(s.seq, fadjma::parse_ws_reply(text).outcome);
  }
  void push(Kind kind, uint64_t seq) {
    if (count_ == kSlots) return;
    fifo_[(head_ + count_) % kSlots] = {kind, seq};
    ++count_;
  }

  struct Sent { Kind kind; uint64_t seq; };
  static constexpr uint32_t kSlots = 64;
  static WsLink* self_;
  WebSocketsClient client_;
  std::string path_, auth_;
  Sent fifo_[kSlots] = {};
  uint32_t head_ = 0, count_ = 0;
};

WsLink* WsLink::self_ = nullptr;

}  // namespace

Link* make_websocket_link() { return new WsLink(); }
