// The core against firmware/vectors/vectors.json: byte-exact frames, the server's answers read
// to the expected outcomes, commands parsed and acknowledged, LoRa payloads.
#include <doctest/doctest.h>

#include "test_support.h"
#include "vectors.inc"

using namespace fadjma;

TEST_CASE("vectors: there are vectors for every transport") {
  std::vector<std::string> seen;
  for (const auto& f : kFrameVectors) seen.push_back(f.transport);
  for (const char* t : {"socketio", "websocket", "http_batch", "http_data", "mqtt", "socketio_connect"})
    CHECK_MESSAGE(std::find(seen.begin(), seen.end(), t) != seen.end(), t);
  CHECK(kLoraVectors.size() >= 3);
  CHECK(kCommandVectors.size() == 4);
}

TEST_CASE("vectors: the Socket.IO connect payload carries device id and token") {
  CHECK(sio_connect_payload(kVectorDeviceId, kVectorToken) == kConnectPayload);
}

static std::string frame_for(const FrameVector& f) {
  std::string t = f.transport;
  if (t == "socketio") return sio_event_payload(static_cast<uint32_t>(f.ack_id), "vitals:send", vitals_json(f.readings[0]));
  if (t == "websocket") return ws_vitals_json(f.readings[0]);
  if (t == "http_batch") return batch_json(f.readings);
  return vitals_json(f.readings[0]);  // http_data, mqtt
}

TEST_CASE("vectors: reading frames are built byte for byte") {
  for (const auto& f : kFrameVectors) {
    if (std::string(f.transport) == "socketio_connect") continue;
    INFO(f.name);
    CHECK(frame_for(f) == f.sends);
    if (f.topic) CHECK(mqtt_topic(kVectorDeviceId, "vitals") == f.topic);
  }
}

TEST_CASE("vectors: the server's answers give the expected outcome per reading") {
  for (const auto& f : kFrameVectors) {
    std::string t = f.transport;
    if (!f.answer) continue;
    INFO(f.name);
    std::vector<Answer> answers;
    if (t == "socketio") {
      SioPacket p = parse_sio_payload(f.answer, strlen(f.answer));
      REQUIRE(p.ok);
      CHECK(p.ack_id == f.ack_id);
      answers.push_back(parse_sio_vitals_ack(p.array()));
    } else if (t == "websocket") {
      answers.push_back(parse_ws_reply(f.answer));
    } else if (t == "http_data") {
      answers.push_back(parse_http_data(f.answer_status, f.answer));
    } else if (t == "http_batch") {
      answers = parse_http_batch(f.answer_status, f.answer, f.readings.size());
    }
    REQUIRE(answers.size() == f.outcomes.size());
    for (size_t i = 0; i < answers.size(); ++i) CHECK(std::string(outcome_name(answers[i].outcome)) == f.outcomes[i]);
  }
}

TEST_CASE("vectors: heartbeats") {
  for (const auto& h : kHeartbeatVectors) {
    INFO(h.name);
    Health health{h.battery, h.rssi, h.uptime_s, h.free_heap, h.firmware};
    std::string t = h.transport;
    if (t == "socketio") {
      CHECK(sio_event_payload(static_cast<uint32_t>(h.ack_id), "device:heartbeat", heartbeat_json(health)) == h.sends);
      SioPacket p = parse_sio_payload(h.answer, strlen(h.answer));
      CHECK(p.ack_id == h.ack_id);
      CHECK(p.array().at(0).get("ok").as_bool());
    } else if (t == "websocket") {
      CHECK(heartbeat_json(health, "heartbeat") == h.sends);
    } else {
      CHECK(heartbeat_json(health) == h.sends);
    }
  }
}

TEST_CASE("vectors: commands are parsed, carried out and acknowledged") {
  for (const auto& c : kCommandVectors) {
    INFO(c.name);
    std::string t = c.transport;
    Command cmd;
    if (t == "socketio") {
      SioPacket p = parse_sio_payload(c.receives, strlen(c.receives));
      REQUIRE(p.ok);
      CHECK(p.ack_id == -1);
      REQUIRE(p.array().at(0).as_string() == "device:command");
      REQUIRE(parse_command(p.array().at(1), &cmd));
    } else {
      json::Value v = json::Value::parse(c.receives);
      REQUIRE(v.get("type").as_string() == "command");
      REQUIRE(parse_command(v, &cmd));
    }
    CHECK(cmd.name == c.kind);
    CHECK(cmd.error == "");
    CHECK(cmd.interval_s == c.interval_s);
    CHECK(cmd.seconds == c.seconds);
    CHECK(cmd.now_ms == c.now_ms);
    std::string ack = command_ack_json(cmd, cmd.error.empty(), command_result_json(cmd),
                                       t == "websocket" ? "command_ack" : nullptr);
    if (t == "socketio") ack = sio_event_payload(static_cast<uint32_t>(c.ack_id), "command:ack", ack);
    CHECK(ack == c.sends);
  }
}

TEST_CASE("vectors: LoRa payloads v0 and v2") {
  for (const auto& l : kLoraVectors) {
    INFO(l.name);
    uint8_t buf[16];
    size_t n = l.version == 2 ? encode_lora_v2(l.reading, static_cast<uint8_t>(l.battery), l.uptime_s, buf)
                              : encode_lora_v0(l.reading, l.uptime_s, buf);
    CHECK(hex(buf, n) == std::string(l.hex));
  }
}
