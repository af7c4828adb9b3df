"""Measurement time, not arrival time: replayed buffers, retrospective alerts, latest values, clock-suspect readings.

The ward's FakeClock is "now"; buffers are measured in the past and posted now, over HTTP batch and
Socket.IO, in measurement order and reversed. LATE_READING_S and NEWS2_WINDOW_S are the defaults (900 s).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.alerting.retrospective import clinical_episodes, episodes
from server.alerting.rules import DEFAULTS, NEWS2_RULE
from server.keys import ALERT_ENGINE, CLOCK, INGEST
from tests.support.alerting import NORMAL, alerts_of, cast, feed
from tests.support.iot import device_sio, provision, stored, watching_doctor

pytestmark = pytest.mark.ward

# The issue's patient: NEWS2 3+3(SpO2 90, scale 1)+2(T 39.4)+3(SBP 88)+3(HR 135) = 14.
SICK = {"heart_rate": 135, "spo2": 90, "temperature": 39.4, "systolic": 88, "respiratory_rate": 27}
# What that buffer gives, live or retrospectively: one clinical episode (emergency) whose causes are every
# rule that fired over 2 min of it and NEWS2 (its scoring parameters, each a cause).
SICK_CAUSES = {("heart_rate_high", "critical"), ("spo2_low", "warning"), ("temperature_high", "warning"),
               ("systolic_low", "critical"), ("respiratory_rate_high", "critical"), ("news2", "emergency")}
SICK_ALERTS = {("emergency", frozenset(SICK_CAUSES))}
NEWS2_PARAMETERS = {"heart_rate", "spo2", "temperature", "systolic", "respiratory_rate"}
_seqs = iter(range(10_000, 10**9))


def buffer(now: datetime, ago: timedelta, readings: dict, n: int = 13, every: float = 10.0) -> list[dict]:
    """`n` reading sets measured every `every` s, the last one `ago` before `now` (device time)."""
    last = now - ago
    return [{"seq": next(_seqs), "ts": (last - timedelta(seconds=every * (n - 1 - i))).isoformat(),
             "readings": readings} for i in range(n)]


async def post(api, app, dev: dict, items: list[dict], transport: str) -> int:
    """Send `items`, settle, then run the alert tick; returns how many patients it evaluated late data for."""
    if transport == "http":
        status, body = await api.call("POST", "/api/iot/batch", dev["token"], json={"measurements": items})
        assert status == 200 and body["accepted"] == len(items), body
    else:
        sio = await device_sio(api, dev["id"], dev["token"])
        try:
            for item in items:  # one message at a time, each acknowledged after its own commit
                ack = await sio.call("vitals:send", item, namespace="/devices", timeout=10)
                assert ack["ok"] and ack["data"]["status"] == "accepted", ack
        finally:
            await sio.disconnect()
    await app[INGEST].settled()
    return await app[ALERT_ENGINE].retrospective_due()  # the alert tick: late readings are judged then


def episode(doc: dict) -> tuple[str, frozenset]:
    """An alert as (severity, its causes as (rule or "news2", severity))."""
    return doc["severity"], frozenset((c.get("rule", "news2"), c["severity"]) for c in doc["causes"])


async def news2_now(api, people) -> dict:
    status, body = await api.call("GET", f"/api/iot/patients/{people['pid']}/news2", people["doctor"][1])
    assert status == 200
    return body


# ago, transport, order → (current episodes, retrospective episodes, current NEWS2 score or None if all missing)
REPLAYS = [
    # 5 min old: inside the NEWS2 window and not late: the patient's current observation set.
    (timedelta(minutes=5), "http", "in", SICK_ALERTS, set(), 14),
    (timedelta(minutes=5), "http", "reversed", SICK_ALERTS, set(), 14),
    (timedelta(minutes=5), "socketio", "in", SICK_ALERTS, set(), 14),
    # one message at a time, newest first: a rule counts persistence only over readings in measurement
    # order (an older one cannot rewrite the present), so nothing fires until the next current reading;
    # NEWS2 now still shows the patient at 14.
    (timedelta(minutes=5), "socketio", "reversed", set(), set(), 14),
    # late: history and retrospective alerts only, NEWS2 now has no device parameter
    (timedelta(minutes=30), "http", "in", set(), SICK_ALERTS, None),
    (timedelta(minutes=30), "http", "reversed", set(), SICK_ALERTS, None),
    (timedelta(minutes=30), "socketio", "in", set(), SICK_ALERTS, None),
    (timedelta(minutes=30), "socketio", "reversed", set(), SICK_ALERTS, None),
    (timedelta(hours=2), "http", "in", set(), SICK_ALERTS, None),
    (timedelta(hours=2), "http", "reversed", set(), SICK_ALERTS, None),
    (timedelta(hours=2), "socketio", "in", set(), SICK_ALERTS, None),
    (timedelta(hours=2), "socketio", "reversed", set(), SICK_ALERTS, None),
]


@pytest.mark.parametrize(("ago", "transport", "order", "current", "retro", "score"), REPLAYS)
async def test_replayed_buffer(api, app, ago, transport, order, current, retro, score):
    people = await cast(api)
    dev = await provision(api, people["admin"][1], people["pid"])
    clock = app[CLOCK]
    clock.advance(3 * 3600)  # the device was registered long before the outage
    items = buffer(clock.now(), ago, SICK)
    evaluated = await post(api, app, dev, items if order == "in" else items[::-1], transport)
    assert evaluated == (1 if retro else 0)  # 13 messages one by one or one batch: one evaluation
    docs = await alerts_of(app, people["pid"])
    assert {episode(d) for d in docs if d["open"]} == current
    assert not [d for d in docs if d["open"] and d.get("retrospective")]
    retrospective = [d for d in docs if d.get("retrospective")]
    assert {episode(d) for d in retrospective} == retro
    assert len(retrospective) == len(retro)  # one per clinical episode, however the buffer arrived
    first, last = datetime.fromisoformat(items[0]["ts"]), datetime.fromisoformat(items[-1]["ts"])
    for d in retrospective:
        assert (d["measured_from"], d["measured_to"]) == (first, last), d["type"]
        assert (d["state"], d["clear_reason"], d["next_escalation_at"], d["group"]) == \
            ("cleared_unacknowledged", "retrospective", None, "retrospective")
        assert {c["parameter"] for c in d["causes"] if c["kind"] == "news2"} == NEWS2_PARAMETERS
        assert not [c for c in d["causes"] if c["active"]]  # the past: every cause ended
    for d in docs:
        if d["open"]:
            assert {c["parameter"] for c in d["causes"] if c["kind"] == "news2"} == NEWS2_PARAMETERS
    now = await news2_now(api, people)
    if score is None:
        assert now["score"] == 0 and {"heart_rate", "spo2", "temperature", "systolic",
                                       "respiratory_rate"} <= set(now["missing"])
    else:
        assert now["score"] == score and now["parameters"]["heart_rate"]["at"] == last.isoformat()
    # history holds every reading at its measurement time, in that order
    status, hist = await api.call("GET", f"/api/iot/patients/{people['pid']}/vitals/history?kind=heart_rate"
                                  f"&bucket=raw&from={(first - timedelta(seconds=1)).isoformat().replace('+', '%2B')}",
                                  people["doctor"][1])
    assert status == 200 and [p["t"] for p in hist["points"]] == [i["ts"] for i in items]


async def test_the_issue_scenario_one_set_measured_two_hours_ago(api, app):
    """HR 135, SpO2 90, T 39.4, SBP 88, RR 27 measured 2 h ago and posted now: no current NEWS2 emergency
    (one set cannot even show persistence, so no retrospective alert either)."""
    people = await cast(api)
    dev = await provision(api, people["admin"][1], people["pid"])
    clock = app[CLOCK]
    clock.advance(3 * 3600)
    doctor, live = await watching_doctor(api, {"doctor_token": people["doctor"][1], "patient": {"id": people["pid"]}})
    items = buffer(clock.now(), timedelta(hours=2), SICK, n=1)
    await post(api, app, dev, items, "http")
    # the live chart gets it at its measurement time (and sees when it arrived)
    await live.wait(lambda i: i.of("vitals:new"), within=10)
    (event,) = live.of("vitals:new")
    assert (event["ts"], event["received_at"], event["clock_suspect"]) == \
        (items[0]["ts"], clock.now().isoformat(), False)
    await doctor.disconnect()
    assert await alerts_of(app, people["pid"]) == []
    now = await news2_now(api, people)
    assert now["score"] == 0 and now["alert_severity"] is None and "heart_rate" in now["missing"]


async def test_retrospective_alert_is_announced_once_and_extended_by_the_rest_of_the_buffer(api, app):
    """A 4-min buffer posted in two requests: the second half extends the alert the first half raised."""
    people = await cast(api)
    dev = await provision(api, people["admin"][1], people["pid"])
    clock = app[CLOCK]
    clock.advance(3 * 3600)
    items = buffer(clock.now(), timedelta(hours=1), {**NORMAL, "heart_rate": 135}, n=25)
    await post(api, app, dev, items[:13], "http")
    (doc,) = await alerts_of(app, people["pid"])
    assert (doc["type"], doc["retrospective"], doc["measured_to"]) == \
        ("heart_rate_high", True, datetime.fromisoformat(items[12]["ts"]))
    # one episode: the HR rule and NEWS2's heart-rate parameter (a 3) are one event, as live
    assert {c["key"] for c in doc["causes"]} == {"rule:heart_rate_high", "news2:heart_rate"}
    assert [h["action"] for h in doc["history"]] == ["raised"] and doc["outbox"] == []
    await post(api, app, dev, items[13:], "http")
    (doc,) = await alerts_of(app, people["pid"])
    assert (doc["measured_from"], doc["measured_to"]) == (datetime.fromisoformat(items[0]["ts"]),
                                                          datetime.fromisoformat(items[-1]["ts"]))
    assert [h["action"] for h in doc["history"]] == ["raised"]
    status, inbox = await api.call("GET", "/api/notifications?limit=100", people["ward"][1])
    assert status == 200, inbox
    told = [n for n in inbox["items"] if n["link"] == {"type": "alert", "id": doc["_id"]}]
    assert len(told) == 1  # announced once, as the past
    assert any(w in str(told[0]["body"]) for w in ("retrospective", "rétrospectif")), told[0]
    status, body = await api.call("POST", f"/api/iot/alerts/{doc['_id']}/acknowledge", people["doctor"][1], json={})
    assert status == 200 and body["state"] == "cleared_acknowledged" and body["retrospective"] is True


async def test_latest_values_keep_the_newest_measurement(api, app):
    people = await cast(api)
    await feed(app, people["device"], NORMAL, times=2)  # HR 72 measured now
    clock = app[CLOCK]
    for ago in (timedelta(minutes=2), timedelta(minutes=40)):  # one in order but older, one late
        ack = await app[INGEST].submit(people["device"], {"seq": next(_seqs), "ts": (clock.now() - ago).timestamp(),
                                                          "readings": {"heart_rate": 135}}, "test")
        assert ack["status"] == "accepted"
        await app[INGEST].settled()
    status, latest = await api.call("GET", f"/api/iot/patients/{people['pid']}/vitals/latest", people["doctor"][1])
    assert status == 200
    hr = latest["readings"]["heart_rate"]
    assert hr["value"] == 72 and hr["ts"] == clock.now().isoformat()


# measured every `every` s, posted `gap` s apart (each a batch) → raised?
DURATIONS = [
    (10.0, 0.0, True),    # 60 s of breach by measurement time, all arriving at once: it lasted, fire
    (1.0, 20.0, False),   # 6 s of breach spread over 2 min of arrivals: it did not last, do not fire
]


@pytest.mark.parametrize(("every", "gap", "raised"), DURATIONS)
async def test_a_duration_is_judged_on_measurement_time(api, app, every, gap, raised):
    people = await cast(api)
    clock = app[CLOCK]
    clock.advance(120)
    start = clock.now() - timedelta(seconds=every * 6)
    for i in range(7):  # heart_rate_high needs 60 s and 2 readings
        clock.advance(gap)
        ack = await app[INGEST].submit(people["device"], {"seq": next(_seqs),
                                                          "ts": (start + timedelta(seconds=every * i)).timestamp(),
                                                          "readings": {"heart_rate": 135}}, "test")
        assert ack["status"] == "accepted"
        await app[INGEST].settled()
    docs = await alerts_of(app, people["pid"], type="heart_rate_high")
    assert [(d["open"], d.get("retrospective", False)) for d in docs] == ([(True, False)] if raised else [])


async def test_a_clock_suspect_reading_is_placed_at_its_receive_time(api, app):
    people = await cast(api)
    clock = app[CLOCK]
    future = clock.now() + timedelta(days=1)  # a device clock a day ahead
    ack = await app[INGEST].submit(people["device"], {"seq": next(_seqs), "ts": future.timestamp(),
                                                      "readings": {"heart_rate": 80}}, "test")
    await app[INGEST].settled()
    received = clock.now()
    clock.advance(5)
    await feed(app, people["device"], {"heart_rate": 72}, every=5)  # measured after it, by a true clock
    status, latest = await api.call("GET", f"/api/iot/patients/{people['pid']}/vitals/latest", people["doctor"][1])
    assert status == 200
    hr = latest["readings"]["heart_rate"]
    assert hr["value"] == 72  # the future-dated reading does not stay "latest" for a day
    to = (clock.now() + timedelta(seconds=1)).isoformat().replace("+", "%2B")
    status, hist = await api.call("GET", f"/api/iot/patients/{people['pid']}/vitals/history?kind=heart_rate"
                                  f"&bucket=raw&to={to}", people["doctor"][1])
    assert status == 200
    assert [(p["t"], p["avg"]) for p in hist["points"]][-2:] == [(received.isoformat(), 80),
                                                                 (clock.now().isoformat(), 72)]
    (doc,) = await stored(app[INGEST].db, _id=ack["id"])
    assert doc["clock_suspect"] and doc["ts"] == received and doc["device_ts"] == future


T0 = datetime.fromisoformat("2026-03-01T06:00:00+00:00")


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


# rule, [(seconds, value)] → [(severity, from s, to s)]
EPISODES = [
    (DEFAULTS["heart_rate_high"], [(0, 135), (30, 135), (60, 135)], [("critical", 0, 60)]),
    (DEFAULTS["heart_rate_high"], [(0, 135), (30, 135)], []),                        # 30 s < 60 s
    (DEFAULTS["heart_rate_high"], [(0, 80), (10, 135), (70, 155), (130, 155), (140, 80), (260, 80)],
     [("emergency", 10, 130)]),                                                      # worst severity, breach span
    (DEFAULTS["heart_rate_high"], [(0, 135), (60, 135), (300, 135), (360, 135)],
     [("critical", 0, 360)]),                                                        # still active over the gap
    (DEFAULTS["spo2_low"], [(0, 88), (200, 88), (230, 88)], [("critical", 200, 230)]),  # a gap restarts the count
    (NEWS2_RULE, [(0, 2), (30, 2), (60, 2), (90, 0), (240, 0)], [("emergency", 0, 60)]),
]


@pytest.mark.parametrize(("rule", "points", "expected"), EPISODES)
def test_episodes(rule, points, expected):
    found = episodes(rule, [(at(s), float(v)) for s, v in points])
    assert [(e["severity"], e["measured_from"], e["measured_to"]) for e in found] == \
        [(sev, at(a), at(b)) for sev, a, b in expected]


def finding(rule: str, severity: str, a: float, b: float, gap_s: float = 300.0) -> dict:
    return {"measured_from": at(a), "measured_to": at(b), "gap_s": gap_s, "severity": severity, "value": 1,
            "causes": [{"key": f"rule:{rule}", "kind": "rule", "rule": rule, "reading": rule, "severity": severity,
                        "value": 1}]}


# what each rule found → retrospective episodes as (severity, type, from s, to s, cause keys)
CLINICAL_EPISODES = [
    ([finding("spo2_low", "warning", 0, 60), finding("heart_rate_high", "critical", 30, 120)],
     [("critical", "heart_rate_high", 0, 120, {"spo2_low", "heart_rate_high"})]),       # overlap: one event
    ([finding("spo2_low", "warning", 0, 60), finding("heart_rate_high", "critical", 300, 400)],
     [("critical", "heart_rate_high", 0, 400, {"spo2_low", "heart_rate_high"})]),       # within max_gap_s
    ([finding("spo2_low", "warning", 0, 60), finding("heart_rate_high", "critical", 500, 600)],
     [("warning", "spo2_low", 0, 60, {"spo2_low"}),
      ("critical", "heart_rate_high", 500, 600, {"heart_rate_high"})]),                 # apart: two events
    ([finding("spo2_low", "warning", 0, 60), finding("spo2_low", "critical", 100, 200)],
     [("critical", "spo2_low", 0, 200, {"spo2_low"})]),                                 # one cause, worst, union
]


@pytest.mark.parametrize(("found", "expected"), CLINICAL_EPISODES)
def test_clinical_episodes(found, expected):
    eps = clinical_episodes(found)
    assert [(e["severity"], e["type"], e["measured_from"], e["measured_to"], {c["rule"] for c in e["causes"]})
            for e in eps] == [(sev, typ, at(a), at(b), rules) for sev, typ, a, b, rules in expected]
    for e in eps:
        for c in e["causes"]:
            assert not c["active"] and e["measured_from"] <= c["since"] <= c["cleared_at"] <= e["measured_to"]
