"""One clinical event, one alert; severity follows the patient (issue 12), through the running server.

Tables: what a clinician sees (alerts, causes, inbox items, live changes, escalation) for
readings fed through the real Ingest pipeline on the FakeClock.
"""

from __future__ import annotations

import asyncio

import pytest

from server.alerting import causes as causes_of
from server.alerting.episodes import Episodes
from server.alerting.rules import DEFAULTS
from server.app import create_app
from server.keys import ALERT_ENGINE, ALERTS, CLOCK, DB
from tests.support.alerting import NORMAL, alerting_settings, alerts_of, cast, feed
from tests.support.helpers import Recorder, until

pytestmark = pytest.mark.ward

AUDIENCE = ("patient", "doctor", "ward")


@pytest.fixture
def settings(settings):
    return alerting_settings(settings, alert_escalation_warning_s=0, alert_escalation_critical_s=300,
                             alert_escalation_emergency_s=60, alert_escalation_min_repeat_s=60)


async def inbox(app, user_id: str) -> list[dict]:
    """The alert items stored in a user's inbox (what became a toast), oldest first."""
    docs = await app[DB]["notifications"].find({"user_id": user_id, "type": "alert"}).to_list(None)
    return sorted(docs, key=lambda d: d["seq"])


def causes(doc: dict, active_only: bool = True) -> set[tuple]:
    return {(c["kind"], c.get("rule") or c.get("parameter"), c["severity"], c.get("score"))
            for c in doc["causes"] if c["active"] or not active_only}


def changes(rec: Recorder) -> list[str]:
    return [e["change"] for e in rec.of("alert:updated") if e["change"] != "repeat"]


@pytest.mark.parametrize(("spo2", "expected_causes", "severity"), [
    # 91 %: the SpO2 rule's warning band and NEWS2's 3 in one parameter (critical) — one alert
    (91, {("rule", "spo2_low", "warning", None), ("news2", "spo2", "critical", 3)}, "critical"),
    # 88 %: both critical
    (88, {("rule", "spo2_low", "critical", None), ("news2", "spo2", "critical", 3)}, "critical"),
    # 93 %: NEWS2 scores 2 (no NEWS2 alert): the rule alone
    (93, {("rule", "spo2_low", "warning", None)}, "warning"),
])
async def test_low_spo2_is_one_alert_with_its_causes_and_one_toast_per_person(api, app, spo2, expected_causes,
                                                                              severity):
    people = await cast(api)
    recs = {n: await Recorder(api, people[n][1]).connect() for n in AUDIENCE}
    await feed(app, people["device"], NORMAL, times=2)
    await feed(app, people["device"], {**NORMAL, "spo2": spo2}, times=20)  # 100 s: every rule has fired
    (doc,) = await alerts_of(app, people["pid"])
    assert causes(doc) == expected_causes and doc["severity"] == severity and doc["type"] == "spo2_low"
    for name in AUDIENCE:
        await until(lambda n=name: len(recs[n].of("alert:raised")) == 1)
        assert [n["data"]["alert_id"] for n in await inbox(app, people[name][0]["id"])] == [doc["_id"]], name
    await asyncio.sleep(0.3)
    for rec in recs.values():
        assert len(rec.of("alert:raised")) == 1 and len([n for n in rec.new if n["type"] == "alert"]) == 1
        await rec.disconnect()


GLUCOSE_WARNING = ("rule", "glucose_high", "warning", None)
GLUCOSE_CRITICAL = ("rule", "glucose_high", "critical", None)


@pytest.mark.parametrize(("acknowledged", "glucose", "new_cause", "severity", "state", "toasts"), [
    # a cause at the alert's severity joins it: live only, an acknowledgement stands
    (True, 300, GLUCOSE_WARNING, "warning", "active_acknowledged", 2),
    (False, 300, GLUCOSE_WARNING, "warning", "active_unacknowledged", 1),
    # a more severe cause re-opens an acknowledgement with a toast (who acknowledged the warning has not
    # seen this); on an alert nobody acknowledged yet it updates what is already in front of them
    (True, 650, GLUCOSE_CRITICAL, "critical", "active_unacknowledged", 3),
    (False, 650, GLUCOSE_CRITICAL, "critical", "active_unacknowledged", 1),
])
async def test_a_later_cause_joins_the_open_alert(api, app, acknowledged, glucose, new_cause, severity, state,
                                                  toasts):
    people = await cast(api)
    rec = await Recorder(api, people["ward"][1]).connect()
    await feed(app, people["device"], {**NORMAL, "spo2": 93}, times=10)  # the SpO2 rule's warning (NEWS2: 2)
    (doc,) = await alerts_of(app, people["pid"])
    assert causes(doc) == {("rule", "spo2_low", "warning", None)}
    if acknowledged:
        status, _ = await api.call("POST", f"/api/iot/alerts/{doc['_id']}/acknowledge", people["doctor"][1], json={})
        assert status == 200
    await feed(app, people["device"], {**NORMAL, "spo2": 93, "glucose": glucose}, times=4)
    (after,) = await alerts_of(app, people["pid"])
    assert after["_id"] == doc["_id"] and causes(after) == {("rule", "spo2_low", "warning", None), new_cause}
    assert (after["severity"], after["state"]) == (severity, state)
    assert (after["next_escalation_at"] is not None) is (severity == "critical")  # warnings never escalate
    await until(lambda: "cause_added" in changes(rec))
    await asyncio.sleep(0.3)
    assert changes(rec).count("cause_added") == 1 and len(rec.of("alert:raised")) == 1
    # the ward doctor's toasts: raised (+ acknowledged) (+ the re-opening cause)
    assert len(await inbox(app, people["ward"][0]["id"])) == toasts
    await rec.disconnect()


async def test_severity_falls_with_hysteresis_live_only_and_kept_in_history(api, app):
    people = await cast(api)
    rec = await Recorder(api, people["ward"][1]).connect()
    await feed(app, people["device"], {**NORMAL, "heart_rate": 135}, times=16)  # rule critical + NEWS2 3
    (doc,) = await alerts_of(app, people["pid"])
    assert doc["severity"] == "critical" and ("rule", "heart_rate_high", "critical", None) in causes(doc)
    toasts = len(await inbox(app, people["ward"][0]["id"]))
    # hovering across the critical band's hysteresis edge (131 − 5): never 60 s in a row below it
    for _ in range(8):
        await feed(app, people["device"], {**NORMAL, "heart_rate": 125}, times=5)
        await feed(app, people["device"], {**NORMAL, "heart_rate": 128})
    (doc,) = await alerts_of(app, people["pid"])
    assert doc["severity"] == "critical" and ("rule", "heart_rate_high", "critical", None) in causes(doc)
    # better for the rule's clear time: the rule falls to its warning band, NEWS2 (HR 125 scores 2) has cleared
    await feed(app, people["device"], {**NORMAL, "heart_rate": 125}, times=14)
    (doc,) = await alerts_of(app, people["pid"])
    assert doc["open"] and doc["severity"] == "warning"
    assert causes(doc) == {("rule", "heart_rate_high", "warning", None)}
    fell = [h for h in doc["history"] if h["action"] == "severity_fell"]
    assert [(h["previous"], h["severity"]) for h in fell] == [("critical", "warning")]
    await until(lambda: "severity_fell" in changes(rec))
    await asyncio.sleep(0.3)
    assert changes(rec).count("severity_fell") == 1
    assert len(await inbox(app, people["ward"][0]["id"])) == toasts  # live, not an inbox item
    # all causes clear: the episode ends; the next breach is a new episode
    await feed(app, people["device"], NORMAL, times=14)
    (doc,) = await alerts_of(app, people["pid"])
    assert doc["state"] == "cleared_unacknowledged" and doc["clear_reason"] == "auto" and causes(doc) == set()
    await feed(app, people["device"], {**NORMAL, "heart_rate": 135}, times=16)
    assert [d["open"] for d in sorted(await alerts_of(app, people["pid"]), key=lambda d: d["first_at"])] == [
        False, True]
    await rec.disconnect()


@pytest.mark.parametrize(("worst", "better", "after", "escalates"), [
    (135, 125, "warning", False),    # critical → warning: warnings never escalate, it stops
    (155, 140, "critical", True),    # emergency → critical: it goes on at the critical delay
])
async def test_escalation_follows_the_current_severity(api, app, clock, worst, better, after, escalates):
    people = await cast(api)
    await feed(app, people["device"], {**NORMAL, "heart_rate": worst}, times=16)
    (doc,) = await alerts_of(app, people["pid"])
    assert doc["next_escalation_at"] is not None
    await feed(app, people["device"], {**NORMAL, "heart_rate": better}, times=28)  # 140 s: past every clear time
    (doc,) = await alerts_of(app, people["pid"])
    assert doc["severity"] == after and doc["open"]
    clock.advance(3600)
    done = await app[ALERT_ENGINE].escalation.run_once()
    assert [d["_id"] for d in done] == ([doc["_id"]] if escalates else [])
    assert (doc["next_escalation_at"] is not None) is escalates


async def test_alerts_from_before_episodes_do_not_block_start_up(aiohttp_client, settings, clock, api, app):
    """A database written by the previous version (one open alert per type, no `group`) still starts."""
    people = await cast(api)
    coll = app[DB]["alerts"]
    await coll.drop_index("one_open_alert_per_group")
    await coll.create_index([("patient_id", 1), ("type", 1), ("source", 1)], unique=True,
                            partialFilterExpression={"open": True}, name="one_open_alert")
    legacy = {"patient_id": people["pid"], "source": "", "open": True, "severity": "warning", "state":
              "active_unacknowledged", "severity_rank": 1, "first_at": clock.now(), "last_at": clock.now()}
    await coll.insert_many([{**legacy, "_id": "old-1", "type": "spo2_low"},
                            {**legacy, "_id": "old-2", "type": "news2"}])
    second = create_app(settings, clock)
    await aiohttp_client(second)
    names = {ix["name"] for ix in await (await coll.list_indexes()).to_list(None)}
    assert "one_open_alert_per_group" in names and "one_open_alert" not in names
    await feed(second, people["device"], {**NORMAL, "spo2": 88}, times=16)  # an episode opens beside them
    docs = await alerts_of(second, people["pid"], open=True)
    assert sorted(d.get("group", "-") for d in docs) == ["-", "-", "clinical"]


async def test_concurrent_writers_make_one_episode_and_never_undo_an_acknowledgement(api, app):
    people = await cast(api)
    pid, alerts = people["pid"], app[ALERTS]
    episodes = Episodes(alerts, app[CLOCK])  # as a second server process would have

    def change(rule: str, severity: str):
        return episodes.change(pid, upserts=[causes_of.rule_cause(DEFAULTS[rule], severity, 0)], cleared=[],
                               scope=None, value=0, data={}, may_open=True)

    # two processes open the patient's episode at once: one alert, both causes
    (a, change_a, _), (b, change_b, _) = await asyncio.gather(change("spo2_low", "warning"),
                                                               change("heart_rate_high", "warning"))
    assert sorted([change_a, change_b]) == ["cause_added", "raised"] and a["_id"] == b["_id"]
    (doc,) = await alerts_of(app, pid)
    assert {c["rule"] for c in doc["causes"]} == {"spo2_low", "heart_rate_high"}
    # an acknowledgement and another process's new cause land between an episode writer's read and its
    # write: the write is retried on the fresh alert instead of overwriting it with what it read
    stale, reads = dict(doc), 0
    real_open = alerts.open_episode

    async def read_before_the_acknowledgement(patient_id):
        nonlocal reads
        reads += 1
        return stale if reads == 1 else await real_open(patient_id)

    await alerts.acknowledge(doc["_id"], people["doctor"][0]["id"])
    await change("temperature_high", "info")
    alerts.open_episode = read_before_the_acknowledgement
    try:
        after, change_c, notify = await change("glucose_high", "warning")
    finally:
        alerts.open_episode = real_open
    assert reads == 2 and change_c == "cause_added" and not notify
    assert after["state"] == "active_acknowledged"
    assert {c["rule"] for c in after["causes"]} == {"spo2_low", "heart_rate_high", "temperature_high", "glucose_high"}
    assert [h["action"] for h in after["history"]].count("acknowledged") == 1


@pytest.mark.parametrize(("acknowledged", "joining", "change", "toast"), [
    # new causes alone lift an alert nobody acknowledged: live, no second toast
    (False, [("glucose_high", "critical")], "cause_added", False),
    # ... but one that lifts an acknowledged alert re-opens it with a toast
    (True, [("glucose_high", "critical")], "cause_added", True),
    # a known cause worsening is deterioration: a toast, even when a new cause joins in the same reading
    (False, [("spo2_low", "emergency"), ("glucose_high", "warning")], "cause_added", True),
    (False, [("spo2_low", "critical")], "severity_rose", True),
    # a cause at the alert's severity: live only
    (True, [("glucose_high", "warning")], "cause_added", False),
])
async def test_which_rises_are_toasts(api, app, acknowledged, joining, change, toast):
    people = await cast(api)
    pid, alerts = people["pid"], app[ALERTS]
    episodes = Episodes(alerts, app[CLOCK])
    doc, _, _ = await episodes.change(pid, upserts=[causes_of.rule_cause(DEFAULTS["spo2_low"], "warning", 93)],
                                      cleared=[], scope=None, value=93, data={}, may_open=True)
    if acknowledged:
        await alerts.acknowledge(doc["_id"], people["doctor"][0]["id"])
    after, got, notify = await episodes.change(
        pid, upserts=[causes_of.rule_cause(DEFAULTS[r], s, 0) for r, s in joining], cleared=[], scope=None, value=0,
        data={}, may_open=True)
    assert (got, notify) == (change, toast)
    assert after["state"] == ("active_unacknowledged" if toast or not acknowledged else "active_acknowledged")
    assert [i["action"] for i in after.get("outbox", []) if i.get("notify")] == ([change] if toast else [])
