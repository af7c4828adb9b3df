"""The simulator over MQTT (real Mosquitto with mqtt/'s password file and ACL, the server's bridge):
an outage, publishes whose PUBACK was lost, then the replay; every reading stored exactly once."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from tests.firmware.server_api import MQTT_BRIDGE, bridge_url, reloaded
from tests.firmware.sim_support import drain, settled_seqs, sim_device, take


@pytest.fixture
def settings(settings, broker):
    return dataclasses.replace(settings, mqtt_url=bridge_url(broker))


async def test_mqtt_outage_then_replay_stores_every_reading_once(api, broker):
    async def login(device_id, token):
        broker.add(device_id, token)
        await reloaded(broker, device_id, token)

    await asyncio.wait_for(api.client.app[MQTT_BRIDGE].connected.wait(), 20)
    device = await sim_device(api, "mqtt", broker=f"127.0.0.1:{broker.port}", on_token=login, name="sim-mqtt")
    try:
        await take(device, 5)
        await take(device, 3, flush=False)
        device.lose_answers = 3
        await device.flush()  # published (the broker has them) but the PUBACKs never arrive
        assert len(device.outbox) == 3
        device.cut = True
        await take(device, 12)
        device.cut = False
        await drain(device)
        await take(device, 4)
        assert await settled_seqs(api, device.device_id, 24) == list(range(24))
        assert len(device.outbox) == 0
    finally:
        await device.link.close()
