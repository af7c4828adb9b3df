// See frames.h. Key order and number formats are fixed here and mirrored by firmware/sim/frames.py.
#include "frames.h"

#include <cstdlib>
#include <cstring>

namespace fadjma {

const char* const kDevicesNamespace = "/devices";

static void readings_members(json::Writer& w, const Reading& r) {
  w.key("seq").value(static_cast<uint64_t>(r.seq));
  if (r.ts_ms > 0) w.key("ts").value(static_cast<int64_t>(r.ts_ms));
  w.key("readings").begin_object();
  if (r.heart_rate) w.key("heart_rate").value(static_cast<unsigned>(r.heart_rate));
  if (r.spo2 != kNone8) w.key("spo2").value(static_cast<unsigned>(r.spo2));
  if (r.temperature_centi != kNoTemperature) w.key("temperature").centi(r.temperature_centi);
  if (r.respiratory_rate) w.key("respiratory_rate").value(static_cast<unsigned>(r.respiratory_rate));
  w.end_object();
  if (r.ts_ms <= 0) w.key("synced").value(false);
}

std::string vitals_json(const Reading& r) {
  json::Writer w;
  w.begin_object();
  readings_members(w, r);
  w.end_object();
  return w.str();
}

std::string ws_vitals_json(const Reading& r) {
  json::Writer w;
  w.begin_object().key("type").value("vitals");
  readings_members(w, r);
  w.end_object();
  return w.str();
}

std::string batch_json(const std::vector<Reading>& readings) {
  json::Writer w;
  w.begin_object().key("measurements").begin_array();
  for (const auto& r : readings) w.raw(vitals_json(r));
  w.end_array().end_object();
  return w.str();
}

std::string heartbeat_json(const Health& h, const char* ws_type) {
  json::Writer w;
  w.begin_object();
  if (ws_type) w.key("type").value(ws_type);
  if (h.battery >= 0) w.key("battery").value(h.battery);
  if (h.rssi) w.key("rssi").value(h.rssi);
  w.key("uptime").value(static_cast<uint64_t>(h.uptime_s));
  w.key("free_heap").value(static_cast<uint64_t>(h.free_heap));
  if (h.firmware && *h.firmware) w.key("firmware").value(h.firmware);
  w.end_object();
  return w.str();
}

std::string mqtt_topic(const std::string& device_id, const char* kind) {
  return "fadjma/devices/" + device_id + "/" + kind;
}

std::string ws_path(const std::string& device_id) { return "/ws/iot/" + device_id + "/"; }
std::string bearer_header(const std::string& token) { return "Bearer " + token; }

std::string sio_connect_payload(const std::string& device_id, const std::string& token) {
  json::Writer w;
  w.begin_object().key("device_id").value(device_id).key("token").value(token).end_object();
  return std::string(kDevicesNamespace) + "," + w.str();
}

std::string sio_event_payload(uint32_t ack_id, const char* event, const std::string& data_json) {
  json::Writer w;
  w.begin_array().value(event).raw(data_json).end_array();
  return std::string(kDevicesNamespace) + "," + std::to_string(ack_id) + w.str();
}

SioPacket parse_sio_payload(const char* payload, size_t len) {
  SioPacket p;
  std::string s(payload, len);
  size_t ns_len = strlen(kDevicesNamespace);
  if (s.compare(0, ns_len, kDevicesNamespace) != 0 || s.size() <= ns_len || s[ns_len] != ',') return p;
  size_t i = ns_len + 1;
  size_t digits = i;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits > i) p.ack_id = strtoll(s.substr(i, digits - i).c_str(), nullptr, 10);
  p.body = s.substr(digits);
  p.ok = p.array().type() == json::Value::Array;
  return p;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Pending: return "pending";
    case Outcome::Accepted: return "accepted";
    case Outcome::Duplicate: return "duplicate";
    case Outcome::Rejected: return "rejected";
    case Outcome::Retry: return "retry";
  }
  return "?";
}

static Outcome status_outcome(const std::string& status) {
  if (status == "accepted") return Outcome::Accepted;
  if (status == "duplicate") return Outcome::Duplicate;
  if (status == "rejected") return Outcome::Rejected;
  return Outcome::Retry;
}

Answer parse_sio_vitals_ack(const json::Value& args) {
  Answer a;
  json::Value ack = args.at(0);
  if (ack.type() != json::Value::Object) return a;
  if (ack.get("ok").as_bool(false)) {
    json::Value data = ack.get("data");
    a.outcome = status_outcome(data.get("status").as_string());
    a.seq = data.get("seq").as_int(-1);
    return a;
  }
  a.code = ack.get("error").get("code").as_string();
  // Only a rejection is final (the server stored it in vitals_rejected); anything else
  // (revoked token, internal error) leaves the reading buffered for a later replay.
  a.outcome = a.code == "rejected" ? Outcome::Rejected : Outcome::Retry;
  return a;
}

Answer parse_ws_reply(const std::string& text) {
  Answer a;
  json::Value v = json::Value::parse(text);
  std::string type = v.get("type").as_string();
  a.seq = v.get("seq").as_int(-1);
  if (type == "ack") {
    a.outcome = status_outcome(v.get("status").as_string());
  } else if (type == "rejected") {
    a.outcome = Outcome::Rejected;
    a.code = v.get("code").as_string();
  } else {
    a.code = v.get("code").as_string();
  }
  return a;
}

Answer parse_http_data(int status, const std::string& body) {
  Answer a;
  json::Value v = json::Value::parse(body);
  if (status == 200) {
    a.outcome = status_outcome(v.get("status").as_string());
    a.seq = v.get("seq").as_int(-1);
  } else if (status == 422) {
    a.outcome = Outcome::Rejected;
    a.code = v.get("error").get("code").as_string();
  } else {
    a.code = v.get("error").get("code").as_string();
  }
  return a;
}

std::vector<Answer> parse_http_batch(int status, const std::string& body, size_t sent) {
  std::vector<Answer> out;
  if (status != 200) return out;
  json::Value results = json::Value::parse(body).get("results");
  if (results.size() != sent) return out;
  out.resize(sent);
  for (size_t i = 0; i < sent; ++i) {
    json::Value item = results.at(i);
    int64_t index = item.get("index").as_int(-1);
    if (index < 0 || static_cast<size_t>(index) >= sent) return {};
    Answer& a = out[static_cast<size_t>(index)];
    a.outcome = status_outcome(item.get("status").as_string());
    a.seq = item.get("seq").as_int(-1);
    a.code = item.get("code").as_string();
  }
  return out;
}

}  // namespace fadjma
