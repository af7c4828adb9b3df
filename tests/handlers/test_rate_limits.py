"""Rate limits as clients see them: REST writes per user, socket events per user, device data per
device, connections per token; a refusal says when to retry (429 + Retry-After, or the ack's
`rate_limited` with `details.retry_after`) and others are not affected. Windows on a FakeClock."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
import socketio

from server.clock import FakeClock
from tests.support.iot import people, provision
from tests.support.throttle import drive_limits

LIMITS = {"RATE_LIMIT_REST_WRITES": "3/minute", "RATE_LIMIT_SOCKET_EVENTS": "3/minute",
          "RATE_LIMIT_DEVICE_DATA": "3/minute", "RATE_LIMIT_CONNECTIONS": "2/minute"}


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock()
    drive_limits(monkeypatch, clock)
    return clock


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, rate_limits={**settings.rate_limits, **LIMITS})


async def write(api, token):
    resp = await api.client.post("/api/notifications/read-all", headers={"Authorization": f"Bearer {token}"})
    return resp.status, (await resp.json()), resp.headers.get("Retry-After")


async def test_rest_writes_are_limited_per_user(api, clock):
    # people() itself posts (admin's provisioning etc.); these two users start fresh.
    _, alice = await api.user("alice", "patient")
    _, bob = await api.user("bob", "patient")
    for _ in range(3):
        assert (await write(api, alice))[0] == 200
    clock.advance(10)
    status, body, retry = await write(api, alice)
    assert status == 429 and body["error"]["code"] == "rate_limited" and retry == "51"
    assert body["error"]["details"] == {"retry_after": 51}
    assert (await api.call("GET", "/api/notifications", alice))[0] == 200  # reads are not counted
    assert (await write(api, bob))[0] == 200  # another user has their own window
    clock.advance(51)
    assert (await write(api, alice))[0] == 200


async def test_socket_events_are_limited_per_user(api, clock):
    p = await people(api)
    sio = await api.sio(p["doctor_token"])
    watch = {"patient_id": p["patient"]["id"]}
    acks = [await sio.call("vitals:unwatch", watch, timeout=10) for _ in range(4)]
    assert [a["ok"] for a in acks] == [True, True, True, False]
    assert acks[3]["error"]["code"] == "rate_limited" and acks[3]["error"]["details"] == {"retry_after": 61}
    clock.advance(61)
    assert (await sio.call("vitals:unwatch", watch, timeout=10))["ok"] is True
    await sio.disconnect()


async def test_connections_per_token_are_limited(api, clock):
    _, token = await api.user("carol", "patient")
    first, second = await api.sio(token), await api.sio(token)
    third = socketio.AsyncClient(reconnection=False)
    refused = asyncio.get_running_loop().create_future()
    third.on("connect_error", lambda data: refused.set_result(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await third.connect(api.base_url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    data = await asyncio.wait_for(refused, 5)
    assert data["message"] == "rate_limited" and data["data"]["details"] == {"retry_after": 61}
    for s in (first, second):
        await s.disconnect()


async def test_device_data_is_limited_per_device_on_every_transport(api, clock):
    p = await people(api)
    one = await provision(api, p["admin"], p["patient"]["id"])
    two = await provision(api, p["admin"], p["patient"]["id"])
    for seq in (1, 2, 3):
        assert (await api.call("POST", "/api/iot/data", one["token"], json={"seq": seq, "readings": {"spo2": 97}}))[0] \
            == 200
    resp = await api.client.post("/api/iot/data", json={"seq": 4, "readings": {"spo2": 97}},
                                 headers={"Authorization": f"Bearer {one['token']}"})
    assert resp.status == 429 and resp.headers["Retry-After"] == "61"
    assert (await resp.json())["error"]["code"] == "rate_limited"
    # The same device over its raw WebSocket: refused too, told when to retry.
    async with api.client.ws_connect(f"/ws/iot/{one['id']}/?token={one['token']}") as ws:
        await ws.send_json({"type": "vitals", "seq": 5, "readings": {"spo2": 97}})
        assert await ws.receive_json(timeout=10) == {
            "type": "error", "code": "rate_limited", "retry_after": 61,
            "message": "Too many messages from this device; retry in 61 s"}
    assert (await api.call("POST", "/api/iot/data", two["token"], json={"seq": 1, "readings": {"spo2": 97}}))[0] \
        == 200


async def test_rejected_readings_expire_and_their_log_lines_are_rate_limited(api, clock, caplog):
    from server.keys import DB
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    junk = {"measurements": [{"seq": n, "readings": {"heart_rate": 1000}} for n in range(1, 21)]}
    with caplog.at_level("INFO", logger="server.iot.ingest"):
        status, body = await api.call("POST", "/api/iot/batch", dev["token"], json=junk)
        assert status == 200 and body["rejected"] == 20
        clock.advance(60)
        await api.call("POST", "/api/iot/data", dev["token"], json={"seq": 21, "readings": {"heart_rate": 1000}})
    lines = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert len(lines) == 2 and lines[1].endswith("(19 more rejections not logged)"), lines
    indexes = await api.client.app[DB]["vitals_rejected"].index_information()
    assert [i.get("expireAfterSeconds") for i in indexes.values() if i["key"] == [("received_at", 1)]] == [7 * 86400]
