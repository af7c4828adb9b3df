"""Grants that expire: the sweeper ends them on the server clock and evicts live watchers."""

from __future__ import annotations

import dataclasses

import pytest

from rooms.names import patient_room
from server.clock import FakeClock
from server.keys import ACCESS, SIO
from tests.support.helpers import settle, until, world

DAY = 86400


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def settings(settings):
    # Tokens outlive the jumps of the fake clock, so only grants expire here.
    return dataclasses.replace(settings, access_token_ttl=100 * DAY, refresh_token_ttl=200 * DAY)


async def test_expired_grant_stops_access_and_live_data_once(api, app, clock):
    w = await world(api)
    short = await w.grant("doc", "pat", scopes=("vitals", "records"), days=1)
    await w.grant("stranger", "pat", scopes=("vitals",), days=3)
    await w.grant("stranger", "pat", scopes=("vitals",), days=1)  # a second, shorter grant of the same doctor
    devices = {name: await w.device(name) for name in ("doc", "stranger", "pat")}
    sio, room = app[SIO], patient_room(w.ids["pat"])
    for name in ("doc", "stranger"):
        await sio.enter_room(devices[name].client.get_sid(), room)

    clock.advance(DAY + 1)
    # REST access ends with the clock, before any sweep
    assert (await w.call("doc", "GET", f"/api/patients/{w.ids['pat']}/records"))[0] == 403
    # the sweeper ends the two due grants one after the other
    await until(lambda: devices["doc"].of("grant:expired") and len(devices["pat"].of("grant:expired")) == 2)
    await settle(sio, devices, w.ids)
    assert devices["doc"].of("grant:expired")[0]["id"] == short["grant_id"]
    assert devices["doc"].inbox_types() == ["grant:expired"]
    assert devices["doc"].new[0]["title"]["fr"] == "Accès expiré"
    assert len(devices["pat"].of("grant:expired")) == 2 and devices["pat"].new == []
    assert room not in sio.rooms(devices["doc"].client.get_sid())
    # the stranger's other grant still allows vitals: they keep watching
    assert room in sio.rooms(devices["stranger"].client.get_sid())
    assert await app[ACCESS].sweep() == 0  # each grant ends once
    _, grants = await w.call("pat", "GET", "/api/grants")
    assert [g["doctor_id"] for g in grants] == [w.ids["stranger"]]

    clock.advance(2 * DAY)
    await until(lambda: room not in sio.rooms(devices["stranger"].client.get_sid()))
    for device in devices.values():
        await device.disconnect()
