"""Stale marking is per source: a patient's alert fed by a device still sending is not marked stale
because another device of that patient went offline (server/alerting/device_alerts.py).

One patient, two devices: an oximeter (SpO2 and pulse: `spo2_low`) and a thermometer (`temperature_high`);
NEWS2 takes parameters from both. Each step is a table row: what happens, then the expected `stale` of
each open clinical alert.
"""

from __future__ import annotations

import pytest

from server.keys import ALERT_ENGINE, ALERTS
from tests.support.alerting import add_device, alerting_settings, cast, feed

pytestmark = pytest.mark.ward

OXIMETER = {"spo2": 88, "heart_rate": 72}
THERMOMETER = {"temperature": 39.5}


@pytest.fixture
def settings(settings):
    return alerting_settings(settings)


async def stale_of(app, pid: str) -> dict[str, bool]:
    docs = await app[ALERTS].coll.find({"patient_id": pid, "open": True, "category": {"$ne": "device"}}).to_list(None)
    return {d["type"]: d["stale"] for d in docs}


async def test_an_alert_fed_by_a_device_still_sending_stays_fresh(api, app):
    people = await cast(api)
    pid, engine = people["pid"], app[ALERT_ENGINE]
    oximeter = people["device"]
    thermometer = await add_device(app, pid, device_id="thermometer")
    await feed(app, oximeter, OXIMETER, times=8)
    await feed(app, thermometer, THERMOMETER, times=30)
    assert await stale_of(app, pid) == {"spo2_low": False, "news2": False, "temperature_high": False}

    async def silence() -> None:
        engine.clock.advance(301)

    async def offline(names: list[str]) -> None:
        raised = await engine.devices.scan_offline()
        assert sorted(a["source"] for a in raised) == sorted(names)

    steps = [
        # the oximeter falls silent while the thermometer goes on: only what the oximeter alone feeds is stale
        ("oximeter offline", lambda: feed(app, thermometer, THERMOMETER, times=35), ["dev"],
         {"spo2_low": True, "news2": False, "temperature_high": False}),
        # both silent: everything is stale
        ("thermometer offline too", silence, ["thermometer"],
         {"spo2_low": True, "news2": True, "temperature_high": True}),
        # the oximeter is back: its alerts and NEWS2 (which it feeds) are fresh; the thermometer's stays stale
        ("oximeter back", lambda: feed(app, oximeter, OXIMETER), [],
         {"spo2_low": False, "news2": False, "temperature_high": True}),
        ("thermometer back", lambda: feed(app, thermometer, THERMOMETER), [],
         {"spo2_low": False, "news2": False, "temperature_high": False}),
    ]
    for name, act, went_offline, expected in steps:
        await act()
        await offline([oximeter["_id"] if d == "dev" else d for d in went_offline])
        assert await stale_of(app, pid) == expected, name
