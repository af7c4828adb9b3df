"""Several server processes on one broker: with MQTT_SHARED_GROUP each message is handled by one of them.

Two apps (each with its own bridge, ingest and group commit, as two processes would have) on one
Mosquitto and one database. Without the shared subscription every process receives every message:
the (device, seq) key still stores each reading once, but every process does the work of all of
them (and a backlog cannot drain faster by adding processes), which is what this test catches.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import timedelta

import orjson
import pytest

from server.app import create_app
from server.keys import INGEST, MQTT_BRIDGE, VITALS_HISTORY
from tests.support.iot import people, provision
from tests.support.mqtt import bridge_url, device_client, reloaded

READINGS = 40


@pytest.fixture
def settings(settings, broker):
    return dataclasses.replace(settings, mqtt_url=bridge_url(broker), mqtt_shared_group="fadjma-test")


def _counting(app) -> Counter:
    """What this process's ingest answered to the readings its bridge handed it, by status."""
    ingest, seen = app[INGEST], Counter()
    submit = ingest.submit

    async def counted(*args, **kwargs):
        result = await submit(*args, **kwargs)
        seen[result["status"]] += 1
        return result

    ingest.submit = counted
    return seen


async def _idle(apps) -> None:
    """Every bridge has finished its messages and every ingest has published what it stored."""
    while any(app[MQTT_BRIDGE]._handlers for app in apps):  # noqa: ASYNC110 - polling the bridges
        await asyncio.sleep(0.02)
    for app in apps:
        await app[INGEST].settled()


async def test_two_processes_share_the_subscription(aiohttp_client, api, settings, clock, broker):
    second = await aiohttp_client(create_app(settings, clock))  # its own random client id, same group
    apps = [api.client.app, second.app]
    for app in apps:
        await asyncio.wait_for(app[MQTT_BRIDGE].connected.wait(), 10)
    counts = [_counting(app) for app in apps]
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"], device_id="ESP32_shared")
    broker.add(dev["id"], dev["token"])
    await reloaded(broker, dev["id"], dev["token"])
    async with device_client(broker, dev["id"], dev["token"]) as client:
        for seq in range(1, READINGS + 1):
            await client.publish(f"fadjma/devices/{dev['id']}/vitals",
                                 orjson.dumps({"seq": seq, "readings": {"heart_rate": 60 + seq % 30}}), qos=1)
    async with asyncio.timeout(30):  # generous: real MQTT round trips on a loaded CI machine
        while sum(c["accepted"] for c in counts) < READINGS:  # noqa: ASYNC110 - polling the counters
            await asyncio.sleep(0.05)
        await _idle(apps)
        await asyncio.sleep(0.5)  # settle: a second delivery of a message would have arrived by now
        await _idle(apps)
    # stored once each (read back through the history service, whatever the storage layout)
    now = clock.now()
    sets = await api.client.app[VITALS_HISTORY].reading_sets(
        p["patient"]["id"], {"$gte": now - timedelta(days=1), "$lte": now + timedelta(days=1)})
    assert sorted(s["seq"] for s in sets) == list(range(1, READINGS + 1))
    # each message went to one process only: no duplicate work, and both processes took part
    # (Mosquitto hands a shared subscription's messages round robin)
    assert [c["duplicate"] for c in counts] == [0, 0]
    assert sum(c["accepted"] for c in counts) == READINGS
    assert min(c["accepted"] for c in counts) > 0
