"""`news2:updated`: sent when a patient's NEWS2 changes, to the sockets watching the patient and the
staff of their care units, once per socket; not for an unchanged score; nobody else hears it."""

from __future__ import annotations

import pytest

from server.keys import SIO
from tests.support.alerting import NORMAL, add_device, cast, feed
from tests.support.helpers import Recorder, settle

pytestmark = pytest.mark.ward


async def test_news2_updated_on_change_only_to_watchers_and_unit_staff(api, app):
    people = await cast(api)
    pid, unit_id = people["pid"], people["unit"]["_id"]
    devices = {name: await Recorder(api, people[name][1]).connect()
               for name in ("doctor", "ward", "stranger", "patient", "other")}
    assert (await devices["doctor"].call("vitals:watch", {"patient_id": pid}))["ok"]
    assert (await devices["ward"].call("unit:watch", {"unit_id": unit_id}))["ok"]
    assert (await devices["ward"].call("vitals:watch", {"patient_id": pid}))["ok"]  # in both rooms: one event
    other_device = await add_device(app, people["other"][0]["id"])
    ids = {name: people[name][0]["id"] for name in devices}

    async def heard() -> dict[str, list[dict]]:
        await settle(app[SIO], devices, ids)
        return {name: d.of("news2:updated") for name, d in devices.items()}

    await feed(app, people["device"], NORMAL)
    first = await heard()
    assert [len(first[n]) for n in ("doctor", "ward", "stranger", "patient", "other")] == [1, 1, 0, 0, 0]
    event = first["doctor"][0]
    assert event["patient_id"] == pid and event["score"] == 0 and event["partial"] is True
    assert "consciousness" in event["missing"] and event["parameters"]["heart_rate"]["score"] == 0

    await feed(app, people["device"], NORMAL, times=3)          # the same score: nothing new
    await feed(app, other_device, {**NORMAL, "heart_rate": 135})  # another patient, nobody here watches
    assert [len(x) for x in (await heard()).values()] == [1, 1, 0, 0, 0]

    await feed(app, people["device"], {**NORMAL, "heart_rate": 135})
    after = await heard()
    assert [len(after[n]) for n in ("doctor", "ward", "stranger", "patient", "other")] == [2, 2, 0, 0, 0]
    assert after["ward"][1]["score"] == 3 and after["ward"][1]["parameters"]["heart_rate"]["score"] == 3
    for d in devices.values():
        await d.disconnect()
