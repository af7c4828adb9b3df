"""The MQTT vector through a real Mosquitto (mqtt/'s password file and %u ACL) and the server's
bridge: the payload the firmware core builds, on the topic it builds, stored exactly once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

import aiomqtt
import pytest

from tests.firmware.server_api import MQTT_BRIDGE, bridge_url, create_app, reloaded
from tests.firmware.test_vectors import (
    DEVICE,
    SECRET,
    VECTORS,
    FakeClock,
    alerting_settings,
    check_stored,
    provision,
    stored,
)


@pytest.fixture
def clock():
    return FakeClock(datetime.fromisoformat(VECTORS["server_now"]))


@pytest.fixture
def mqtt_settings(settings, broker):
    return dataclasses.replace(alerting_settings(settings, lorawan_webhook_secret=SECRET), mqtt_url=bridge_url(broker))


@pytest.fixture
def app(mqtt_settings, clock):
    return create_app(mqtt_settings, clock)


async def test_mqtt_vector_through_mosquitto_and_the_bridge(api, broker):
    _, _, token = await provision(api)
    broker.add(DEVICE["device_id"], token)
    await reloaded(broker, DEVICE["device_id"], token)
    await asyncio.wait_for(api.client.app[MQTT_BRIDGE].connected.wait(), 20)
    vector = next(f for f in VECTORS["frames"] if f["transport"] == "mqtt")
    async with aiomqtt.Client("127.0.0.1", broker.port, username=DEVICE["device_id"], password=token,
                              identifier=DEVICE["device_id"]) as client:
        await client.publish(vector["topic"], vector["sends"].encode(), qos=1)
    for _ in range(600):  # up to 30 s: the broker delivers to the bridge, which stores
        if len(await stored(api)) >= len(vector["stored"]):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # settle: nothing more may arrive
    check_stored(await stored(api), vector["stored"])
