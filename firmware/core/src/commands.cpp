// See commands.h. Ranges match the server's CommandIn (models/devices.py): a command that got
// past the server is valid here, and one that did not (an older server) is refused with a reason.
#include "commands.h"

#include "clock.h"

namespace fadjma {

bool parse_command(const json::Value& obj, Command* c) {
  *c = Command();
  c->id = obj.get("id").as_string();
  if (c->id.empty()) return false;
  c->name = obj.get("command").as_string();
  json::Value params = obj.get("params");
  if (c->name == "set_interval") {
    c->kind = CommandKind::SetInterval;
    int64_t v = params.get("interval_s").as_int(-1);
    if (v < 1 || v > 3600) c->error = "interval_s must be 1..3600";
    else c->interval_s = static_cast<uint32_t>(v);
  } else if (c->name == "identify") {
    c->kind = CommandKind::Identify;
    int64_t v = params.get("seconds").as_int(10);
    if (v < 1 || v > 120) c->error = "seconds must be 1..120";
    else c->seconds = static_cast<uint32_t>(v);
  } else if (c->name == "reboot") {
    c->kind = CommandKind::Reboot;
  } else if (c->name == "sync_time") {
    c->kind = CommandKind::SyncTime;
    if (!parse_iso8601_ms(params.get("now").as_string(), &c->now_ms)) c->error = "params.now must be an ISO 8601 time";
  } else {
    c->error = "unknown command";
  }
  return true;
}

std::string command_result_json(const Command& c) {
  json::Writer w;
  w.begin_object();
  if (!c.error.empty()) {
    w.key("error").value(c.error);
  } else {
    switch (c.kind) {
      case CommandKind::SetInterval: w.key("interval_s").value(static_cast<uint64_t>(c.interval_s)); break;
      case CommandKind::Identify: w.key("seconds").value(static_cast<uint64_t>(c.seconds)); break;
      case CommandKind::Reboot: w.key("rebooting").value(true); break;
      case CommandKind::SyncTime: w.key("synced").value(true); break;
      case CommandKind::Unknown: break;
    }
  }
  w.end_object();
  return w.str();
}

std::string command_ack_json(const Command& c, bool ok, const std::string& result_json, const char* ws_type) {
  json::Writer w;
  w.begin_object();
  if (ws_type) w.key("type").value(ws_type);
  w.key("command_id").value(c.id).key("ok").value(ok);
  if (!result_json.empty()) w.key("result").raw(result_json);
  w.end_object();
  return w.str();
}

}  // namespace fadjma
