// The transports of the board layer. Each turns the core's frames into library calls and the
// server's answers into Outbox::settle / the command handler; none holds any logic of its own.
#pragma once
#include <string>

#include "fadjma_core.h"

using CommandHandler = void (*)(const fadjma::Command&);

class Link {
 public:
  virtual ~Link() = default;
  virtual void begin(fadjma::Outbox* outbox, CommandHandler on_command) { outbox_ = outbox; on_command_ = on_command; }
  virtual void loop() = 0;
  virtual bool ready() = 0;                               // connected and authenticated
  virtual bool send(const fadjma::Reading& r) = 0;        // the answer arrives later through settle()
  virtual bool heartbeat(const fadjma::Health& h) = 0;
  virtual bool ack(const fadjma::Command& c, bool ok, const std::string& result_json) = 0;
  virtual const char* name() const = 0;

 protected:
  fadjma::Outbox* outbox_ = nullptr;
  CommandHandler on_command_ = nullptr;
};

Link* make_socketio_link();
Link* make_websocket_link();
Link* make_mqtt_link();
Link* make_lorawan_link();

// POST /api/iot/batch (the socket is down) and /api/iot/heartbeat: synchronous, the answer settles
// the readings before it returns.
bool http_replay(fadjma::Outbox& outbox, const fadjma::WallClock& clock, uint32_t max_readings);
bool http_heartbeat(const fadjma::Health& h);
