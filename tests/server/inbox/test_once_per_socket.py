"""Each socket gets each live event once, though the rooms of an audience overlap.

A doctor with a grant who watches the patient is in `user:<doctor>` and `patient:<id>`; the
ward's staff member who watches the unit and the patient is in `user:`, `unit:` and
`patient:`; the patient watching their own vitals is in `user:<patient>` and `patient:<id>`.
Every event family is counted exactly after settling (a marker sent last to each user's room).
"""

from __future__ import annotations

from collections import Counter

import pytest

from server.keys import ALERT_ENGINE, ALERTS, CLOCK, SIO
from tests.support.alerting import NORMAL, alerting_settings, cast, feed
from tests.support.helpers import Recorder, settle

pytestmark = pytest.mark.ward

FAMILIES = ("vitals:new", "alert:raised", "alert:updated", "alert:acknowledged", "alert:cleared",
            "alert:escalated", "unit:summary")


@pytest.fixture
def settings(settings):
    return alerting_settings(settings, alert_escalation_critical_s=60, alert_escalation_min_repeat_s=60)


def counts(rec: Recorder) -> dict[str, int]:
    seen = Counter(name for name, _ in rec.events if name in FAMILIES)
    seen.update(f"inbox:{n['data'].get('change')}" for n in rec.new if n["type"] == "alert")
    return dict(seen)


async def test_every_event_family_reaches_each_socket_exactly_once(api, app):
    people = await cast(api)
    pid, unit_id = people["pid"], people["unit"]["_id"]
    names = ("patient", "doctor", "ward", "stranger")
    recs = {n: await Recorder(api, people[n][1]).connect() for n in names}
    for name in ("patient", "doctor", "ward"):  # every one of them in several rooms of the audience
        ack = await recs[name].call("vitals:watch", {"patient_id": pid})
        assert ack["ok"], ack
    ack = await recs["ward"].call("unit:watch", {"unit_id": unit_id})
    assert ack["ok"], ack

    await feed(app, people["device"], NORMAL, times=3)
    await feed(app, people["device"], {**NORMAL, "spo2": 88}, times=8)  # spo2_low critical
    (alert,) = await app[ALERTS].coll.find({"patient_id": pid, "type": "spo2_low"}).to_list(None)
    app[CLOCK].advance(61)
    assert len(await app[ALERT_ENGINE].escalation.run_once()) == 1
    status, body = await api.call("POST", f"/api/iot/alerts/{alert['_id']}/acknowledge", people["doctor"][1])
    assert status == 200, body
    status, body = await api.call("POST", f"/api/iot/alerts/{alert['_id']}/clear", people["doctor"][1])
    assert status == 200, body
    await app[ALERT_ENGINE].units.send(people["unit"])

    ids = {n: people[n][0]["id"] for n in names}
    await settle(app[SIO], recs, ids)
    readings = 11
    # the first escalation pages the responsible (granted) doctor only; everyone related sees it live;
    # the stranger (no relation, not paged at this level) hears nothing
    both = {"vitals:new": readings, "alert:raised": 1, "alert:escalated": 1, "alert:acknowledged": 1,
            "alert:cleared": 1, "inbox:raised": 1, "inbox:acknowledged": 1, "inbox:cleared": 1}
    updated = len(recs["patient"].of("alert:updated"))
    assert updated <= 1  # repeats are live-only and rate-limited per alert
    if updated:
        both["alert:updated"] = updated
    assert counts(recs["patient"]) == both
    assert counts(recs["doctor"]) == {**both, "inbox:escalated": 1}
    assert counts(recs["ward"]) == {**both, "unit:summary": 1}
    assert counts(recs["stranger"]) == {}
    for rec in recs.values():
        await rec.disconnect()
