"""The device record cache: every process sees a device change within one refresh, whatever the
fleet size, and a cache whose refresh stopped (the database away) is not trusted."""

from __future__ import annotations

import pytest

from models.errors import Unauthorized
from server.clock import FakeClock
from server.iot import registry
from server.keys import DB, DEVICES
from tests.support.iot import people, provision


def other_process(app, clock, settings) -> registry.Devices:
    """A second process's registry over the same database (its own cache)."""
    return registry.Devices(app[DB], clock, settings)


async def test_a_revocation_reaches_another_process_at_its_next_refresh(api, app, clock, settings):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    other = other_process(app, clock, settings)
    await other.refresh()
    assert (await other.current(dev["id"]))["_id"] == dev["id"]
    status, _ = await api.call("POST", f"/api/iot/devices/{dev['id']}/revoke", p["admin"])
    assert status == 200
    with pytest.raises(Unauthorized):  # this process dropped its own entry at once
        await app[DEVICES].current(dev["id"])
    assert await other.refresh() == 1  # one changed device found by one query
    with pytest.raises(Unauthorized):
        await other.current(dev["id"])


async def test_a_cache_whose_refresh_stopped_is_not_trusted(api, app, clock, settings):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    fake = FakeClock(clock.now())
    other = other_process(app, fake, settings)
    await other.refresh()
    await other.current(dev["id"])
    # changed behind its back, and no refresh for 3 × CACHE_SECONDS (say the database was away)
    await app[DB]["devices"].update_one({"_id": dev["id"]}, {"$set": {"revoked_at": clock.now()}})
    fake.advance(3 * registry.CACHE_SECONDS + 1)
    with pytest.raises(Unauthorized):
        await other.current(dev["id"])
