"""The earlier firmware's raw WebSocket, with a real `websockets` client."""

from __future__ import annotations

import json

import pytest
import websockets

from server.keys import DB
from tests.support.iot import people, provision, stored_count, watching_doctor


def ws_url(api, device_id: str, token: str | None = None) -> str:
    url = api.base_url.replace("http://", "ws://") + f"/ws/iot/{device_id}/"
    return url + (f"?token={token}" if token else "")


async def test_legacy_frames_are_stored_and_pushed(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"], mac="aa-bb-cc-dd-ee-01")
    doctor, inbox = await watching_doctor(api, p)
    headers = {"Authorization": f"Bearer {dev['token']}"}
    async with websockets.connect(ws_url(api, dev["id"]), additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "sensor_data", "device_mac": "AA:BB:CC:DD:EE:01",
                                  "data": {"temperature": 36.5, "heart_rate": 75, "timestamp": 123456}}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "ack" and ack["status"] == "accepted"
        await ws.send(json.dumps({"type": "realtime_data", "device_id": dev["id"], "timestamp": 2000,
                                  "heart_rate": 76, "spo2": 98, "seq": 7}))
        assert json.loads(await ws.recv()) == {"type": "ack", "status": "accepted", "id": f"{dev['id']}:7", "seq": 7}
        bad = ["{oops", "[1, 2]", json.dumps({"type": "mystery"}),
               json.dumps({"type": "sensor_data", "device_mac": "11:22:33:44:55:66", "data": {"heart_rate": 70}}),
               json.dumps({"type": "realtime_data", "device_id": "someone-else", "heart_rate": 70}),
               json.dumps({"type": "realtime_data", "heart_rate": 7000}),
               json.dumps({"type": "realtime_data", "humidity": 40})]
        replies = []
        for frame in bad:
            await ws.send(frame)
            replies.append(json.loads(await ws.recv()))
        assert [r["type"] for r in replies] == ["error", "error", "error"] + ["rejected"] * 4
        assert [r["code"] for r in replies] == ["invalid_json", "invalid", "unknown_type", "device_mismatch",
                                                "device_mismatch", "out_of_range", "invalid"]
        await ws.send(json.dumps({"type": "heartbeat", "battery": 51, "rssi": -70, "uptime": 99, "free_heap": 1234}))
        assert json.loads(await ws.recv())["status"] == "stored"
    await inbox.wait(lambda i: len(i.of("vitals:new")) == 2)
    first = inbox.of("vitals:new")[0]
    assert first["readings"]["temperature"]["value"] == 36.5 and not first["clock_suspect"]
    assert await stored_count(api.client.app[DB]) == 2
    _, device = await api.call("GET", f"/api/iot/devices/{dev['id']}", p["admin"])
    assert (device["battery"], device["signal_quality"], device["free_heap"], device["rejected_count"]) == \
        (51, -70, 1234, 4)
    await doctor.disconnect()


async def test_handshake_refuses_wrong_token_or_device(api):
    p = await people(api)
    a = await provision(api, p["admin"], p["patient"]["id"])
    b = await provision(api, p["admin"], p["patient"]["id"])
    for url, code in ((ws_url(api, b["id"], a["token"]), 403), (ws_url(api, a["id"]), 401),
                      (ws_url(api, a["id"], "fdj_nope"), 401)):
        with pytest.raises(websockets.exceptions.InvalidStatus) as err:
            async with websockets.connect(url):
                pass
        assert err.value.response.status_code == code
    async with websockets.connect(ws_url(api, a["id"], a["token"])) as ws:
        await ws.send(json.dumps({"type": "realtime_data", "heart_rate": 66}))
        assert json.loads(await ws.recv())["status"] == "accepted"
