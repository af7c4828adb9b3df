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


class CountingDb:
    """The app's database, counting the device look-ups that reach it."""

    def __init__(self, real) -> None:
        self.real, self.finds = real, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __getitem__(self, name):
        coll, outer = self.real[name], self

        class Counting:
            def __getattr__(self, attr):
                return getattr(coll, attr)

            async def find_one(self, *args, **kwargs):
                outer.finds += 1
                return await coll.find_one(*args, **kwargs)

        return Counting() if name == "devices" else coll


async def test_a_late_refresh_drops_the_cache_once_per_period_not_on_every_look_up(api, app, clock, settings):
    """Under load the refresh can be late; the cache is then re-read from the database once per
    CACHE_SECONDS, which keeps the same freshness without a database query per reading."""
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    fake = FakeClock(clock.now())
    db = CountingDb(app[DB])
    other = registry.Devices(db, fake, settings)
    await other.refresh()
    fake.advance(3 * registry.CACHE_SECONDS + 1)  # the refresh is late from now on
    for _ in range(50):
        assert (await other.current(dev["id"]))["_id"] == dev["id"]
    assert db.finds == 1  # read once, then served from the cache
    await app[DB]["devices"].update_one({"_id": dev["id"]}, {"$set": {"revoked_at": clock.now()}})
    fake.advance(registry.CACHE_SECONDS + 0.1)  # still no refresh: the change is seen one period later
    with pytest.raises(Unauthorized):
        await other.current(dev["id"])
    assert db.finds == 2
