"""Escalation along the on-call chain (rooms/duty.py, server/alerting/escalation.py), on the injected clock.

Table-driven: for each ward set-up (responsible doctor or not, a rota or not, a senior or not, a
care unit or not), each escalation reaches the next level that has someone in it now, pages the
levels reached so far, and its history entry says which level and why. Rota entries outside their
time window (over, or still to come) never count. Doctors with no relation to the patient are
reached only at the last level, with the minimum.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models.documents import GRANTS
from server.keys import ALERT_ENGINE, ALERTS, CARE_UNITS, DB, SIO
from tests.support.alerting import alerting_settings, cast, feed
from tests.support.helpers import Recorder, settle

pytestmark = pytest.mark.ward

SPO2_CRITICAL = {"heart_rate": 72, "spo2": 88, "temperature": 36.8}
DELAY = 300  # critical: ALERT_ESCALATION_CRITICAL_S, also the repeat (max(300, 120))
ALL = "all"  # stands for every doctor of the test database


@pytest.fixture
def settings(settings):
    return alerting_settings(settings, alert_escalation_critical_s=DELAY, alert_escalation_min_repeat_s=120)


async def ward(api, app, clock, *, responsible: bool, rota: bool, senior: bool, unit: bool = True) -> dict:
    """cast() plus three unit doctors: `oncall` (on the rota now when `rota`), `senior` (a senior when
    `senior`), `offshift` (always on the rota, but only outside now: an entry over before the first
    escalation and one starting in two days)."""
    people = await cast(api)
    admin, base = people["admin"][1], f"/api/care-units/{people['unit']['_id']}"
    for name in ("oncall", "senior", "offshift"):
        people[name] = await api.user(f"{name}_{people['pid'][:6]}", "doctor")
        await app[CARE_UNITS].add_staff(people["unit"]["_id"], people[name][0]["id"])
    now = clock.now()

    async def entry(name: str, start, end) -> None:
        status, body = await api.call("POST", f"{base}/oncall", admin, json={
            "doctor_id": people[name][0]["id"], "from": start.isoformat(), "to": end.isoformat()})
        assert status == 201, body

    await entry("offshift", now - timedelta(hours=1), now + timedelta(seconds=100))
    await entry("offshift", now + timedelta(days=2), now + timedelta(days=3))
    if rota:
        await entry("oncall", now - timedelta(hours=1), now + timedelta(hours=8))
    if senior:
        status, body = await api.call("POST", f"{base}/seniors", admin, json={"user_id": people["senior"][0]["id"]})
        assert status == 200 and body["senior_ids"] == [people["senior"][0]["id"]], body
    if not responsible:
        await app[DB][GRANTS].update_many({"patient_id": people["pid"]}, {"$set": {"revoked_at": now}})
    if not unit:
        await app[CARE_UNITS].remove_patient(people["unit"]["_id"], people["pid"])
    return people


FULL = ("responsible", {"doctor"}, "paged the responsible doctor(s)")
CASES = {
    "the whole chain": (dict(responsible=True, rota=True, senior=True), [
        FULL,
        ("on_call", {"doctor", "oncall"}, "paged the on-call doctor(s)"),
        ("senior", {"doctor", "oncall", "senior"}, "paged the unit's senior(s)"),
        ("all_doctors", ALL, "rota exhausted: widened to all doctors"),
        ("all_doctors", ALL, "still unacknowledged: all doctors again")]),
    "empty rota, no senior: all doctors": (dict(responsible=True, rota=False, senior=False), [
        FULL,
        ("all_doctors", ALL, "rota empty, no senior: widened to all doctors")]),
    "empty rota, a senior": (dict(responsible=True, rota=False, senior=True), [
        FULL,
        ("senior", {"doctor", "senior"}, "rota empty: paged the unit's senior(s)"),
        ("all_doctors", ALL, "rota exhausted: widened to all doctors")]),
    "no responsible doctor": (dict(responsible=False, rota=True, senior=False), [
        ("on_call", {"oncall"}, "no responsible doctor: paged the on-call doctor(s)"),
        ("all_doctors", ALL, "no senior: widened to all doctors")]),
    "no care unit": (dict(responsible=True, rota=True, senior=True, unit=False), [
        FULL,
        ("all_doctors", ALL, "no care unit (no rota), no senior: widened to all doctors")]),
    "nobody but doctors": (dict(responsible=False, rota=False, senior=False), [
        ("all_doctors", ALL, "no responsible doctor, rota empty, no senior: widened to all doctors")]),
}


async def paged(app, alert_id: str, at) -> dict[str, dict]:
    """user id → the escalation inbox item stored for them at `at`."""
    docs = await app[DB]["notifications"].find({"data.alert_id": alert_id, "data.change": "escalated",
                                                "created_at": at}).to_list(None)
    assert len({d["user_id"] for d in docs}) == len(docs)  # one item per person per escalation
    return {d["user_id"]: d for d in docs}


@pytest.mark.parametrize("case", list(CASES))
async def test_each_level_in_order_and_the_history_says_why(api, app, clock, case):
    setup, expected = CASES[case]
    people = await ward(api, app, clock, **setup)
    ids = {name: people[name][0]["id"] for name in ("doctor", "ward", "stranger", "oncall", "senior", "offshift")}
    doctors = set(ids.values())
    staff = {ids[n] for n in ("ward", "oncall", "senior", "offshift")} if setup.get("unit", True) else set()
    related = staff | ({ids["doctor"]} if setup["responsible"] else set())  # a grant or the unit
    await feed(app, people["device"], SPO2_CRITICAL, times=8)
    alert = await app[ALERTS].coll.find_one({"patient_id": people["pid"], "type": "spo2_low"})
    clock.set(alert["next_escalation_at"])
    esc = app[ALERT_ENGINE].escalation
    for n, (level, names, reason) in enumerate(expected, start=1):
        (done,) = await esc.run_once()
        entry = done["history"][-1]
        assert (entry["level"], entry["to"], entry["reason"]) == (n, level, reason), case
        items = await paged(app, alert["_id"], clock.now())
        want = doctors if names == ALL else {ids[name] for name in names}
        assert set(items) == want, (case, n)
        assert entry["paged"] == len(want)
        for user_id, item in items.items():
            assert item["urgency"] == "urgent"
            assert item["data"].get("minimal", False) is (user_id not in related), (case, n, user_id)
        assert await esc.run_once() == []  # once per due time
        clock.advance(DELAY)


async def test_unrelated_doctors_get_the_minimum_and_no_alert_event(api, app, clock):
    people = await ward(api, app, clock, responsible=True, rota=False, senior=False)
    pid, patient = people["pid"], people["patient"][0]
    recs = {name: await Recorder(api, people[name][1]).connect() for name in ("stranger", "ward")}
    await feed(app, people["device"], SPO2_CRITICAL, times=8)
    alert = await app[ALERTS].coll.find_one({"patient_id": pid, "type": "spo2_low"})
    esc = app[ALERT_ENGINE].escalation
    clock.set(alert["next_escalation_at"])
    assert len(await esc.run_once()) == 1        # the responsible doctor
    clock.advance(DELAY)
    (done,) = await esc.run_once()               # every doctor
    assert done["history"][-1]["to"] == "all_doctors"
    await settle(app[SIO], recs, {name: people[name][0]["id"] for name in recs})

    (minimal,) = [n for n in recs["stranger"].new if n["type"] == "alert"]
    assert set(minimal["data"]) == {"alert_id", "severity", "change", "level", "units", "minimal"}
    assert minimal["data"]["units"] == [{"id": people["unit"]["_id"], "name": people["unit"]["name"]}]
    assert minimal["link"] == {"type": "alert", "id": alert["_id"]}
    # what the item says (random ids and times left out: a hex id or microseconds may well contain "88")
    said = {k: minimal[k] for k in ("title", "body", "data", "link")}
    text = json.dumps(said, default=str).replace(alert["_id"], "").replace(people["unit"]["_id"], "")
    for secret in (pid, patient["username"], "SpO2", "spo2", "88", "last_value"):
        assert secret not in text, secret
    assert people["unit"]["name"] in minimal["title"]["en"] and minimal["urgency"] == "urgent"
    # no alert event of any kind reaches the unrelated doctor: only their inbox item
    assert [name for name, _ in recs["stranger"].events if name.startswith("alert:")] == []
    # a unit doctor (a relation) gets the full item and the live event
    (full,) = [n for n in recs["ward"].new if n["type"] == "alert" and n["data"]["change"] == "escalated"]
    assert full["data"]["patient_id"] == pid and "minimal" not in full["data"]
    assert len(recs["ward"].of("alert:escalated")) == 2  # one per escalation, both levels
    status, body = await api.call("GET", f"/api/iot/alerts/{alert['_id']}", people["stranger"][1])
    assert status in (403, 404), body             # the link opens nothing without a relation
    for rec in recs.values():
        await rec.disconnect()


async def test_a_failed_escalation_dispatch_pages_the_same_people_later(api, app, clock, monkeypatch):
    """The page (who, which level) is stored in the outbox intent with the claim: redelivered as it was."""
    people = await ward(api, app, clock, responsible=False, rota=False, senior=False)
    await feed(app, people["device"], SPO2_CRITICAL, times=8)
    alert = await app[ALERTS].coll.find_one({"patient_id": people["pid"], "type": "spo2_low"})
    dispatch = app[ALERT_ENGINE].dispatch
    broadcast, failures = dispatch.notifier.broadcast, []

    async def down_once(event, payload, rooms):
        if event == "alert:escalated" and not failures:
            failures.append(event)
            raise ConnectionError("the pub/sub link dropped")
        await broadcast(event, payload, rooms)
    monkeypatch.setattr(dispatch.notifier, "broadcast", down_once)
    clock.set(alert["next_escalation_at"])
    with pytest.raises(ConnectionError):
        await app[ALERT_ENGINE].escalation.run_once()
    escalated_at = clock.now()
    assert await paged(app, alert["_id"], escalated_at) == {}       # stored, nobody paged yet
    clock.advance(31)
    assert await dispatch.redeliver() == 1
    items = await paged(app, alert["_id"], clock.now())
    assert set(items) == {people[n][0]["id"] for n in ("doctor", "ward", "stranger", "oncall", "senior", "offshift")}
    assert {u for u, i in items.items() if i["data"].get("minimal")} == {people[n][0]["id"]
                                                                        for n in ("doctor", "stranger")}
    clock.advance(31)
    assert await dispatch.redeliver() == 0
