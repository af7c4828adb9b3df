"""Device presence with several processes: a process that starts does not take other processes'
devices offline, and a crashed process's devices go offline once its lease ended."""

from __future__ import annotations

import pytest

from server.app import create_app
from server.clock import FakeClock
from server.keys import DEVICE_LINKS, DEVICES
from tests.support.iot import people, provision


@pytest.fixture
def clock():
    return FakeClock()


async def online(api, p, dev) -> bool:
    _, info = await api.call("GET", f"/api/iot/devices/{dev['id']}", p["admin"])
    return info["online"]


async def test_presence_is_per_process_with_a_lease(aiohttp_client, api, app, settings, clock, monkeypatch):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    links = app[DEVICE_LINKS]

    async def send(message: dict) -> None:
        pass
    await links.connected(await app[DEVICES].get(dev["id"]), "websocket", "k1", "127.0.0.1", send)
    assert await online(api, p, dev)

    # a second process starts on the same database: the device is still connected to the first
    other = await aiohttp_client(create_app(settings, clock))
    assert await online(api, p, dev)

    # the first process dies (its sweeper stops renewing its lease): after the lease, the other's
    # sweep takes its device offline
    monkeypatch.setattr(links, "_renew", lambda force=False: _nothing())
    clock.advance(settings.device_heartbeat_timeout / 2)
    await other.app[DEVICE_LINKS].sweep()
    assert await online(api, p, dev)
    clock.advance(settings.device_heartbeat_timeout / 2 + 1)
    await other.app[DEVICE_LINKS].sweep()
    assert not await online(api, p, dev)


async def _nothing() -> None:
    return None
