"""Stale marking is per source: a patient's alert fed by a device still sending is not marked stale
because another device of that patient went offline (server/alerting/device_alerts.py).

One patient, two devices: an oximeter (SpO2 and pulse) and a thermometer. The patient has one open
clinical episode; its feeders are the devices of its active causes' readings (a rule's reading, a NEWS2
cause's scoring parameter). Each step is a table row: what happens, the devices that went offline, then
whether the episode is stale.
"""

from __future__ import annotations

import pytest

from server.keys import ALERT_ENGINE, ALERTS
from tests.support.alerting import add_device, alerting_settings, cast, feed

pytestmark = pytest.mark.ward

OXIMETER = {"spo2": 88, "heart_rate": 72}
FEVER, NORMAL_TEMPERATURE = {"temperature": 39.5}, {"temperature": 36.8}


@pytest.fixture
def settings(settings):
    return alerting_settings(settings)


async def episode_of(app, pid: str) -> tuple[bool, set[str]]:
    """(stale, active cause keys) of the patient's one open clinical alert."""
    (doc,) = await app[ALERTS].coll.find({"patient_id": pid, "open": True, "category": {"$ne": "device"}}).to_list(None)
    return doc["stale"], {c["key"] for c in doc["causes"] if c["active"]}


# thermometer readings → (the episode's causes, [(step, devices going offline, episode stale)])
SCENARIOS = [
    # fever and low SpO2: the episode is fed by both devices
    (FEVER, {"rule:spo2_low", "rule:temperature_high", "news2:spo2", "news2:temperature"}, [
        ("oximeter offline, thermometer sending", ["oximeter"], False),  # its fever cause is still watched
        ("thermometer offline too", ["thermometer"], True),
        ("oximeter back", [], False),
        ("thermometer back", [], False),
    ]),
    # low SpO2 only: the thermometer sends, but feeds nothing the episode is about
    (NORMAL_TEMPERATURE, {"rule:spo2_low", "news2:spo2"}, [
        ("oximeter offline, thermometer sending", ["oximeter"], True),
        ("oximeter back", [], False),
    ]),
]


@pytest.mark.parametrize(("temperature", "causes", "steps"), SCENARIOS)
async def test_an_alert_fed_by_a_device_still_sending_stays_fresh(api, app, temperature, causes, steps):
    people = await cast(api)
    pid, engine = people["pid"], app[ALERT_ENGINE]
    oximeter = people["device"]
    thermometer = await add_device(app, pid, device_id="thermometer")
    await feed(app, oximeter, OXIMETER, times=8)
    await feed(app, thermometer, temperature, times=30)
    assert await episode_of(app, pid) == (False, causes)

    async def silence() -> None:
        engine.clock.advance(301)

    acts = {"oximeter offline, thermometer sending": lambda: feed(app, thermometer, temperature, times=35),
            "thermometer offline too": silence,
            "oximeter back": lambda: feed(app, oximeter, OXIMETER),
            "thermometer back": lambda: feed(app, thermometer, temperature)}
    ids = {"oximeter": oximeter["_id"], "thermometer": thermometer["_id"]}
    for step, went_offline, stale in steps:
        await acts[step]()
        raised = await engine.devices.scan_offline()
        assert sorted(a["source"] for a in raised) == sorted(ids[d] for d in went_offline), step
        assert await episode_of(app, pid) == (stale, causes), step
