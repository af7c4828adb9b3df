"""The shared vectors (firmware/vectors/vectors.json) through the real server: the exact bytes the
firmware core builds (checked in test_host_core.py) go over real transports — Socket.IO by hand
over Engine.IO as the ESP32 library frames it, the raw WebSocket with a one-argument Bearer
header, HTTP, MQTT through Mosquitto and the bridge, LoRaWAN webhooks — and the server's answers
and stored documents must be the vectors' ones."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.firmware.server_api import (
    DB,
    FakeClock,
    alerting_settings,
    lorawan_decode,
    lorawan_encode_v2,
    stored_readings,
)
from tests.firmware.wire import RawDeviceWS, RawSocketIO, sio_json, subset

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "firmware" / "vectors" / "vectors.json").read_text())
DEVICE = VECTORS["device"]
SECRET = "vectors-webhook-secret-0123456789"


@pytest.fixture
def clock():
    return FakeClock(datetime.fromisoformat(VECTORS["server_now"]))


@pytest.fixture
def settings(settings):
    return alerting_settings(settings, lorawan_webhook_secret=SECRET)


async def provision(api) -> tuple[str, str, str]:
    """(admin token, patient id, device token) for the vectors' device."""
    _, admin = await api.user("vec_admin", "admin")
    patient, _ = await api.user("vec_patient", "patient")
    status, doc = await api.call("POST", "/api/iot/devices", admin, json={
        "device_id": DEVICE["device_id"], "name": "vectors", "type": "multi_sensor", "mac": DEVICE["mac"],
        "dev_eui": DEVICE["dev_eui"], "patient_id": patient["id"]})
    assert status == 201, doc
    return admin, patient["id"], doc["token"]


async def stored(api) -> dict[int, dict]:
    docs = await stored_readings(api.client.app[DB], device_id=DEVICE["device_id"])
    return {d["seq"]: d for d in docs}


def check_stored(docs: dict[int, dict], expected: list[dict]) -> None:
    assert sorted(docs) == sorted(e["seq"] for e in expected)
    for e in expected:
        doc = docs[e["seq"]]
        assert doc["ts"] == datetime.fromisoformat(e["ts"]), e
        assert {k: v["value"] for k, v in doc["readings"].items()} == e["readings"], e


def check_answer(expected_text: str, actual) -> None:
    problems = subset(json.loads(expected_text), actual)
    assert not problems, problems


def test_lora_vectors_decode_with_the_server_decoder():
    for v in VECTORS["lora"]:
        readings, facts = lorawan_decode(bytes.fromhex(v["hex"]))
        assert readings == v["decoded"]["readings"], v["name"]
        assert facts == {"battery": v["decoded"]["battery"], "uptime": v["decoded"]["uptime"]}, v["name"]
        if v["version"] == 2:
            r = v["reading"]
            temp = r.get("temperature_centi")
            assert lorawan_encode_v2(None if temp is None else temp / 100, r.get("heart_rate"), r.get("spo2"),
                                     None if v["battery"] == 255 else v["battery"], v["uptime_s"]).hex() == v["hex"]


async def command_round(api, admin: str, vector: dict, receive, send) -> None:
    path = f"/api/iot/devices/{DEVICE['device_id']}/commands"
    status, cmd = await api.call("POST", path, admin, json=vector["admin"])
    assert status in (200, 201, 202), cmd
    vector_id = json.loads(vector["sends"].split("[", 1)[1][:-1].split(",", 1)[1])["command_id"] \
        if vector["transport"] == "socketio" else json.loads(vector["sends"])["command_id"]
    received = await receive()
    assert received == vector["receives"].replace(vector_id, cmd["id"])
    await send(vector["sends"].replace(vector_id, cmd["id"]), vector["answer"].replace(vector_id, cmd["id"]))
    status, listed = await api.call("GET", f"/api/iot/devices/{DEVICE['device_id']}/commands", admin)
    mine = [c for c in (listed if isinstance(listed, list) else listed["items"]) if c["id"] == cmd["id"]]
    assert [c["status"] for c in mine] == ["acked"]


async def test_frame_vectors_through_socketio_websocket_and_http(api):
    admin, _, token = await provision(api)
    frames = {t: [f for f in VECTORS["frames"] if f["transport"] == t]
              for t in ("socketio_connect", "socketio", "websocket", "http_batch", "http_data")}
    beats = {h["transport"]: h for h in VECTORS["heartbeats"]}
    commands = VECTORS["commands"]

    sio = RawSocketIO(api.base_url)
    try:
        opened = await sio.connect(frames["socketio_connect"][0]["sends"].replace(DEVICE["token"], token))
        assert opened.startswith("40/devices,{\"sid\""), opened
        for f in frames["socketio"]:
            ack_id, args = sio_json(await sio.emit(f["sends"]))
            want_id, want = sio_json(f["answer"])
            assert ack_id == want_id == f["ack_id"]
            assert not subset(want, args), (f["name"], args)
        ack_id, args = sio_json(await sio.emit(beats["socketio"]["sends"]))
        assert not subset(sio_json(beats["socketio"]["answer"])[1], args)

        async def sio_send(text, answer):
            _, args = sio_json(await sio.emit(text))
            assert not subset(sio_json(answer)[1], args), args

        for vector in (c for c in commands if c["transport"] == "socketio"):
            await command_round(api, admin, vector, sio.next_event, sio_send)
    finally:
        await sio.close()

    ws = RawDeviceWS(api.base_url, f"/ws/iot/{DEVICE['device_id']}/", f"Bearer {token}")
    await ws.connect()
    try:
        for f in frames["websocket"]:
            check_answer(f["answer"], await ws.send(f["sends"]))
        check_answer(beats["websocket"]["answer"], await ws.send(beats["websocket"]["sends"]))

        async def ws_receive():
            return json.dumps(await ws.receive(), separators=(",", ":"))

        async def ws_send(text, answer):
            check_answer(answer, await ws.send(text))

        for vector in (c for c in commands if c["transport"] == "websocket"):
            await command_round(api, admin, vector, ws_receive, ws_send)
    finally:
        await ws.close()

    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for f in frames["http_batch"] + frames["http_data"] + [beats["http_heartbeat"]]:
        resp = await api.client.post(f["path"], data=f["sends"].encode(), headers=auth)
        assert resp.status == f["answer_status"], await resp.text()
        check_answer(f["answer"], await resp.json())

    expected = [s for t in ("socketio", "websocket", "http_batch", "http_data") for f in frames[t] for s in f["stored"]]
    check_stored(await stored(api), expected)
    status, device = await api.call("GET", f"/api/iot/devices/{DEVICE['device_id']}", admin)
    assert status == 200, device
    assert device["rejected_count"] == 2  # the impossible heart rate and the impossible temperature
    assert device["firmware_version"] == "1.0.1"  # the last heartbeat's
    assert device["uptime"] == 42
