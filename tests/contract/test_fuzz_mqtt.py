"""Hypothesis payloads on every MQTT topic a device publishes to, through a real Mosquitto and the bridge.

MQTT has no reply to check: the bridge must log no failure (a failed message is left unacknowledged
and comes back at every reconnection), stay connected, still store a good reading published after
the junk, and store nothing malformed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.iot.mqtt_bridge import IN_TOPICS, PREFIX
from server.keys import DB, MQTT_BRIDGE
from tests.contract.cast import cast
from tests.contract.test_fuzz_frames import SETTINGS, assert_nothing_malformed, junk, readings, run_in_thread, shaped
from tests.support.iot import stored_count
from tests.support.mqtt import bridge_url, device_client, reloaded


@pytest.fixture
def settings(settings, broker):
    return dataclasses.replace(settings, mqtt_url=bridge_url(broker))


async def test_mqtt_payloads_never_fail_the_bridge(api, app, broker, caplog):
    the = await cast(api)
    await asyncio.wait_for(app[MQTT_BRIDGE].connected.wait(), 30)
    device_id, token = the.ids["device"], the.device_token
    broker.add(device_id, token)
    await reloaded(broker, device_id, token)
    ids = {k: v for k, v in the.ids.items() if isinstance(v, str)}
    loop = asyncio.get_running_loop()
    payload = (readings(ids) | shaped(["device_id", "battery", "uptime", "rssi", "status", "alert_type", "message",
                                       "priority", "command_id", "ok", "result"], ids) | junk
               ).map(lambda v: json.dumps(v, allow_nan=True).encode()) | st.binary(max_size=64)
    sent = 0
    caplog.set_level(logging.WARNING, logger="server.iot.mqtt_bridge")
    async with device_client(broker, device_id, token) as client:

        @SETTINGS
        @given(topic=st.sampled_from(IN_TOPICS), body=payload)
        def one(topic, body):
            nonlocal sent
            run_in_thread(loop, client.publish(f"{PREFIX}/{device_id}/{topic}", body, qos=1))
            sent += 1

        await asyncio.to_thread(one)
        await client.publish(f"{PREFIX}/{device_id}/vitals", orjson.dumps(
            {"seq": 777_777, "readings": {"heart_rate": 66}}), qos=1)
        for _ in range(1200):  # up to 60 s: a loaded CI machine
            if await stored_count(app[DB], _id=f"{device_id}:777777"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("a good reading after the junk was never stored")
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, failures[:5]
    assert app[MQTT_BRIDGE].connected.is_set()
    stored = await assert_nothing_malformed(app, the)
    print(f"mqtt: {sent} messages published, {stored} readings stored")
