"""The stored last_seen of a device sending every second: refreshed every DEVICE_OFFLINE_MIN_S / 10
(5-30 s), not on every reading, and still recent enough for the offline rule."""

from __future__ import annotations

import dataclasses

import pytest

from server.keys import CLOCK, DB
from tests.support.alerting import NORMAL, add_device, alerting_settings, cast, feed

pytestmark = pytest.mark.ward


@pytest.fixture
def settings(settings):
    return alerting_settings(settings)


async def _stored_seen(app, device):
    return (await app[DB]["devices"].find_one({"_id": device["_id"]}))["last_seen"]


async def test_last_seen_is_stored_every_thirty_seconds_at_the_default_offline_time(api, app):
    people = await cast(api)
    device = await add_device(app, people["pid"], interval_s=1)
    start = app[CLOCK].now()
    stored = []
    for _ in range(65):
        await feed(app, device, NORMAL, every=1.0)
        stored.append((await _stored_seen(app, device) - start).total_seconds())
    # the first reading is stored at once (a device seen for the first time), then every 30 s
    assert sorted(set(stored)) == [1.0, 31.0, 61.0]


@pytest.mark.parametrize("offline_min_s, expected", [(20, [1.0, 6.0, 11.0, 16.0]), (150, [1.0, 16.0])])
async def test_a_short_offline_time_refreshes_it_more_often(aiohttp_client, settings, clock, offline_min_s, expected):
    from server.app import create_app
    from tests.conftest import Api

    app = create_app(dataclasses.replace(settings, device_offline_min_s=offline_min_s), clock)
    api = Api(await aiohttp_client(app))
    people = await cast(api)
    device = await add_device(app, people["pid"], interval_s=1)
    start = app[CLOCK].now()
    seen = set()
    for _ in range(18):
        await feed(app, device, NORMAL, every=1.0)
        seen.add((await _stored_seen(app, device) - start).total_seconds())
    assert sorted(seen) == expected
