// The server's commands ({id, command, params} on every link) and their acknowledgements
// ({command_id, ok, result}). Parsing and validation are here; the board only carries them out.
#pragma once
#include <cstdint>
#include <string>

#include "json.h"

namespace fadjma {

enum class CommandKind { Unknown, SetInterval, Identify, Reboot, SyncTime };

struct Command {
  std::string id;
  std::string name;
  CommandKind kind = CommandKind::Unknown;
  uint32_t interval_s = 0;   // set_interval
  uint32_t seconds = 0;      // identify
  int64_t now_ms = 0;        // sync_time: the server's clock when it sent the command
  std::string error;         // why it cannot be carried out ("" when valid)
};

// From the command object ({id, command, params}; a raw WebSocket frame's "type" is ignored).
// Returns false when there is no id to acknowledge (then nothing can be answered).
bool parse_command(const json::Value& obj, Command* out);
// {"command_id":..,"ok":..,"result":..}; ws_type "command_ack" for the raw WebSocket.
std::string command_ack_json(const Command& c, bool ok, const std::string& result_json,
                             const char* ws_type = nullptr);
// The result of a valid command as the board reports it, or {"error":...} for an invalid one.
std::string command_result_json(const Command& c);

}  // namespace fadjma
