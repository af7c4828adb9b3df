"""MQTT and LoRaWAN device data count against RATE_LIMIT_DEVICE_DATA like HTTP, Socket.IO and raw
WebSocket (tests/handlers/test_rate_limits.py): a LoRaWAN uplink over it is 429 + Retry-After; an MQTT
message over it is dropped (acknowledged, one log line), and the device's next window is accepted."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import orjson
import pytest

from server.clock import FakeClock
from server.keys import DB, MQTT_BRIDGE
from tests.handlers.test_lorawan import EUI, SECRET, legacy, tts_body
from tests.support.helpers import until
from tests.support.iot import people, provision
from tests.support.iot import stored as stored_readings
from tests.support.mqtt import bridge_url, device_client, reloaded
from tests.support.throttle import drive_limits


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock()
    drive_limits(monkeypatch, clock)
    return clock


@pytest.fixture
def settings(settings, broker):
    return dataclasses.replace(settings, mqtt_url=bridge_url(broker), lorawan_webhook_secret=SECRET,
                               rate_limits={**settings.rate_limits, "RATE_LIMIT_DEVICE_DATA": "3/minute"})


async def test_lorawan_uplinks_are_limited_per_device(api, clock):
    p = await people(api)
    await provision(api, p["admin"], p["patient"]["id"], dev_eui=EUI)
    hdr = {"X-Webhook-Secret": SECRET}
    for f_cnt in (1, 2, 3):
        status, body = await api.call("POST", "/api/iot/lorawan/tts", json=tts_body(legacy(36.8, 74, 120 + f_cnt),
                                                                                     f_cnt), headers=hdr)
        assert status == 200 and body["status"] == "accepted", body
    resp = await api.client.post("/api/iot/lorawan/tts", json=tts_body(legacy(36.8, 74, 124), 4), headers=hdr)
    assert resp.status == 429 and resp.headers["Retry-After"] == "61"
    assert (await resp.json())["error"]["code"] == "rate_limited"
    clock.advance(61)
    status, body = await api.call("POST", "/api/iot/lorawan/tts", json=tts_body(legacy(36.8, 74, 125), 5), headers=hdr)
    assert status == 200 and body["status"] == "accepted", body


async def test_mqtt_messages_are_limited_per_device(api, clock, broker, caplog):
    app = api.client.app
    await asyncio.wait_for(app[MQTT_BRIDGE].connected.wait(), 10)
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    broker.add(dev["id"], dev["token"])
    await reloaded(broker, dev["id"], dev["token"])

    async def stored(until_: Callable[[set[int]], bool]) -> set[int]:
        async with asyncio.timeout(20):
            while True:
                seqs = {d["seq"] for d in await stored_readings(app[DB], device_id=dev["id"])}
                if until_(seqs):
                    return seqs
                await asyncio.sleep(0.05)

    async with device_client(broker, dev["id"], dev["token"]) as client:
        for seq in range(1, 6):
            await client.publish(f"fadjma/devices/{dev['id']}/vitals",
                                 orjson.dumps({"seq": seq, "readings": {"spo2": 97}}), qos=1)
        await until(lambda: app[MQTT_BRIDGE].dropped == 2, within=20)
        first = await stored(lambda seqs: len(seqs) >= 3)
        clock.advance(61)
        await client.publish(f"fadjma/devices/{dev['id']}/vitals",
                             orjson.dumps({"seq": 6, "readings": {"spo2": 97}}), qos=1)
        seqs = await stored(lambda seqs: 6 in seqs)
    assert len(first) == 3 and seqs == first | {6}  # two of the first five were over the limit
    limited = [r for r in caplog.records if "over its rate limit" in r.getMessage()]
    assert len(limited) == 1  # one line for the two dropped messages
