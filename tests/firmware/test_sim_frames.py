"""The simulator speaks exactly as the firmware core: its frames, commands and LoRa payloads are
the shared vectors' bytes; its webhook bodies (TTS, ChirpStack) are accepted by the real server;
its buffer logic follows the core's rules (order, window, drop oldest with a counter)."""

from __future__ import annotations

import json

from firmware.sim import frames, lorawan
from firmware.sim.core import Outbox, SeqCounter
from firmware.sim.frames import Reading
from firmware.sim.vitals import Patient, Scenario
from tests.firmware.test_vectors import DEVICE, SECRET, VECTORS, clock, provision, settings  # noqa: F401


def reading(d: dict) -> Reading:
    return Reading(**{k: v for k, v in d.items() if k in Reading.__dataclass_fields__})


def test_reading_frames_are_the_vectors():
    for f in VECTORS["frames"]:
        t, rs = f["transport"], [reading(r) for r in f.get("readings", [])]
        if t == "socketio_connect":
            assert frames.sio_connect_payload(DEVICE["device_id"], DEVICE["token"]) == f["sends"]
        elif t == "socketio":
            assert frames.sio_event_payload(f["ack_id"], "vitals:send", frames.vitals_json(rs[0])) == f["sends"]
        elif t == "websocket":
            assert frames.ws_vitals_json(rs[0]) == f["sends"], f["name"]
        elif t == "http_batch":
            assert frames.batch_json(rs) == f["sends"]
        else:
            assert frames.vitals_json(rs[0]) == f["sends"], f["name"]
            if t == "mqtt":
                assert frames.mqtt_topic(DEVICE["device_id"], "vitals") == f["topic"]


def test_heartbeats_and_commands_are_the_vectors():
    for h in VECTORS["heartbeats"]:
        x = h["health"]
        fields = {"battery": x["battery"], "rssi": x["rssi"], "uptime_s": x["uptime_s"], "free_heap": x["free_heap"],
                  "firmware": x["firmware"]}
        if h["transport"] == "socketio":
            beat = frames.heartbeat_json(**fields)
            assert frames.sio_event_payload(h["ack_id"], "device:heartbeat", beat) == h["sends"]
        elif h["transport"] == "websocket":
            assert frames.heartbeat_json(**fields, ws_type="heartbeat") == h["sends"]
        else:
            assert frames.heartbeat_json(**fields) == h["sends"]
    for c in VECTORS["commands"]:
        if c["transport"] == "socketio":
            obj = json.loads(c["receives"].split(",", 1)[1])[1]
        else:
            obj = json.loads(c["receives"])
        cmd = frames.parse_command(obj)
        assert cmd is not None and cmd.name == c["parsed"]["kind"] and cmd.error == ""
        ack = frames.command_ack_json(cmd, "command_ack" if c["transport"] == "websocket" else None)
        if c["transport"] == "socketio":
            ack = frames.sio_event_payload(c["ack_id"], "command:ack", ack)
        assert ack == c["sends"]
    bad = frames.parse_command({"id": "c9", "command": "set_interval", "params": {"interval_s": 0}})
    assert json.loads(frames.command_ack_json(bad)) == {"command_id": "c9", "ok": False,
                                                        "result": {"error": "interval_s must be 1..3600"}}


def test_lora_payloads_are_the_vectors():
    for v in VECTORS["lora"]:
        r = reading({"seq": 0, **v["reading"]})
        payload = lorawan.encode_v2(r, v["battery"], v["uptime_s"]) if v["version"] == 2 else \
            lorawan.encode_v0(r, v["uptime_s"])
        assert payload.hex() == v["hex"], v["name"]


async def test_lora_vectors_through_both_webhook_forms(api):
    await provision(api)
    from datetime import datetime
    at = datetime.fromisoformat(VECTORS["server_now"])
    headers = {"X-Webhook-Secret": SECRET}
    f_cnt = 0
    for v in VECTORS["lora"]:
        for path, body_of in (("/api/iot/lorawan/tts", lorawan.tts_body),
                              ("/api/iot/lorawan/chirpstack?event=up", lorawan.chirpstack_body)):
            f_cnt += 1
            body = body_of(DEVICE["device_id"], DEVICE["dev_eui"], bytes.fromhex(v["hex"]), f_cnt, at)
            status, answer = await api.call("POST", path, json=body, headers=headers)
            assert status == 200, answer
            assert answer["status"] == v["webhook_answer"]["status"], (v["name"], path, answer)
            assert answer["f_cnt"] == f_cnt
    status, _ = await api.call("POST", "/api/iot/lorawan/tts", json=body, headers={"X-Webhook-Secret": "wrong" * 4})
    assert status == 401


def test_outbox_mirrors_the_core_rules():
    out = Outbox(capacity=4, window=2)
    for s in range(1, 6):
        out.add(Reading(seq=s, heart_rate=70))
    assert out.dropped == 1 and [r.seq for r in out.items] == [2, 3, 4, 5]
    a, b = out.next(), out.next()
    assert (a.seq, b.seq, out.next()) == (2, 3, None)
    out.settle(3, "accepted")
    assert len(out) == 4  # 2 unanswered: nothing leaves out of order
    out.settle(2, "duplicate")
    assert [r.seq for r in out.items] == [4, 5]
    out.next()
    out.settle(4, "retry")
    assert out.in_flight == 0 and len(out) == 2
    store: dict = {}
    seqs = [SeqCounter(store, 10).take() for _ in range(3)]  # three "reboots"
    assert seqs == [0, 10, 20]


def test_vitals_are_plausible_and_scenarios_move_them():
    normal = Patient(Scenario("normal"), seed=1)
    values = [normal.sample(t, 14.0) for t in range(0, 3600, 5)]
    hr = [v["heart_rate"] for v in values if v["heart_rate"] is not None]
    assert 55 < sum(hr) / len(hr) < 95
    assert any(v["heart_rate"] is None for v in values)  # probe-off dropouts happen
    assert max(hr) - min(hr) > 10  # noise, drift and motion artefacts
    sepsis = Patient(Scenario("sepsis", onset_s=600), seed=2, motion_p=0, probe_off_p=0)
    late = [sepsis.sample(t, 14.0) for t in range(600, 900, 5)]
    assert sum(v["heart_rate"] for v in late) / len(late) > 115
    assert sum(v["spo2"] for v in late) / len(late) < 90
    assert sum(v["temperature"] for v in late) / len(late) > 38.8
    night = Patient(Scenario("normal"), seed=3, motion_p=0, probe_off_p=0)
    day = Patient(Scenario("normal"), seed=3, motion_p=0, probe_off_p=0)
    n = [night.sample(t, 3.0)["heart_rate"] for t in range(0, 600, 5)]
    d = [day.sample(t, 15.0)["heart_rate"] for t in range(0, 600, 5)]
    assert sum(d) / len(d) - sum(n) / len(n) > 5  # day/night rhythm
    assert Scenario("battery", drain_s=100).battery(100) == 3
    assert Scenario("offline", outage_at_s=60, outage_s=600).offline(61)
