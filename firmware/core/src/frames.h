// The server's JSON frames, built byte-exact (firmware/vectors/ holds the reference texts), and
// the parsing of the server's answers into one outcome per reading.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "json.h"
#include "reading.h"

namespace fadjma {

struct Health {
  int battery = -1;        // %, -1 = unknown
  int rssi = 0;            // dBm, 0 = unknown
  uint32_t uptime_s = 0;
  uint32_t free_heap = 0;
  const char* firmware = "";
};

// {"seq":1,"ts":1764316800000,"readings":{...}}; without a synced clock no "ts" and "synced":false.
std::string vitals_json(const Reading& r);
// The raw WebSocket frame: the same with "type":"vitals" first.
std::string ws_vitals_json(const Reading& r);
// POST /api/iot/batch body: {"measurements":[vitals_json...]}.
std::string batch_json(const std::vector<Reading>& readings);
std::string heartbeat_json(const Health& h, const char* ws_type = nullptr);
// MQTT topics: fadjma/devices/<id>/<kind> (kind: vitals, heartbeat, alert, ack, commands).
std::string mqtt_topic(const std::string& device_id, const char* kind);
std::string ws_path(const std::string& device_id);            // /ws/iot/<id>/
std::string bearer_header(const std::string& token);          // "Bearer <token>": one-argument setAuthorization

// Socket.IO v4 over links2004's SocketIOclient, which adds the "4"+type prefix itself:
// CONNECT payload "/devices,{auth}", EVENT payload "/devices,<ack id>[event,data]".
extern const char* const kDevicesNamespace;
std::string sio_connect_payload(const std::string& device_id, const std::string& token);
std::string sio_event_payload(uint32_t ack_id, const char* event, const std::string& data_json);

struct SioPacket {
  bool ok = false;        // parsed and addressed to /devices
  int64_t ack_id = -1;    // -1 when absent
  std::string body;       // the JSON array after the ack id (event name + data, or ack args)
  // Parsed on demand: a Value points into `body`, which must not move under it.
  json::Value array() const { return json::Value::parse(body); }
};
SioPacket parse_sio_payload(const char* payload, size_t len);

enum class Outcome { Pending, Accepted, Duplicate, Rejected, Retry };
const char* outcome_name(Outcome o);
inline bool is_final(Outcome o) { return o == Outcome::Accepted || o == Outcome::Duplicate || o == Outcome::Rejected; }

struct Answer {
  Outcome outcome = Outcome::Retry;
  int64_t seq = -1;       // as echoed by the server, -1 when absent
  std::string code;       // rejection/error code
};
// The ack of vitals:send: [{"ok":true,"data":{status,id,seq}}] or [{"ok":false,"error":{code,...}}].
Answer parse_sio_vitals_ack(const json::Value& ack_args);
// A raw WebSocket reply: {"type":"ack",...}, {"type":"rejected",...}, {"type":"error",...}.
Answer parse_ws_reply(const std::string& text);
// POST /api/iot/data: HTTP status and body.
Answer parse_http_data(int status, const std::string& body);
// POST /api/iot/batch: one Answer per item (in order); empty when the whole batch failed (retry).
std::vector<Answer> parse_http_batch(int status, const std::string& body, size_t sent);

}  // namespace fadjma
