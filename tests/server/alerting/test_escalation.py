"""Escalation: after the delay, along the chain to all doctors, repeated at a bounded rate, stopped by acknowledgement,
surviving a restart, and exactly once with two server instances sharing the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.app import create_app
from server.keys import ALERT_ENGINE, ALERTS
from tests.support.alerting import alerting_settings, cast, feed
from tests.support.helpers import Recorder, until

SPO2_CRITICAL = {"heart_rate": 72, "spo2": 88, "temperature": 36.8}


pytestmark = pytest.mark.ward


@pytest.fixture
def settings(settings):
    return alerting_settings(settings, alert_escalation_critical_s=300,
                               alert_escalation_emergency_s=60, alert_escalation_min_repeat_s=120)


async def raise_critical(app, people) -> dict:
    await feed(app, people["device"], SPO2_CRITICAL, times=8)
    return await app[ALERTS].coll.find_one({"patient_id": people["pid"], "type": "spo2_low"})


async def test_escalates_after_the_delay_along_the_chain_until_acknowledged(api, app, clock):
    """The ward has no rota and no senior: the responsible (granted) doctor first, then every doctor,
    the history saying why; doctors with no relation get only the minimal inbox item, never the event."""
    people = await cast(api)
    stranger = await Recorder(api, people["stranger"][1]).connect()
    patient = await Recorder(api, people["patient"][1]).connect()
    alert = await raise_critical(app, people)
    esc = app[ALERT_ENGINE].escalation
    assert alert["severity"] == "critical"
    assert alert["next_escalation_at"] == alert["first_at"] + timedelta(seconds=300)
    clock.set(alert["first_at"] + timedelta(seconds=299))
    assert await esc.run_once() == []
    clock.advance(1)
    (done,) = await esc.run_once()
    assert done["escalation_level"] == 1 and done["history"][-1]["action"] == "escalated"
    assert done["history"][-1]["to"] == "responsible" and done["history"][-1]["targets"] == [people["doctor"][0]["id"]]
    assert await esc.run_once() == []                       # not again at once
    await until(lambda: len(patient.of("alert:escalated")) == 1)  # the patient sees it live
    clock.advance(299)                                       # repeats every max(300, 120) s
    assert await esc.run_once() == []
    clock.advance(1)
    (done,) = await esc.run_once()
    assert done["escalation_level"] == 2 and done["history"][-1]["to"] == "all_doctors"
    assert done["history"][-1]["reason"] == "rota empty, no senior: widened to all doctors"
    # widened: a doctor with no relation gets an urgent inbox item with the minimum, and no alert event
    await until(lambda: len([n for n in stranger.new if n["type"] == "alert"]) == 1)
    (item,) = [n for n in stranger.new if n["type"] == "alert"]
    assert item["urgency"] == "urgent" and item["data"]["minimal"] is True
    status, _ = await api.call("POST", f"/api/iot/alerts/{alert['_id']}/acknowledge", people["ward"][1], json={})
    assert status == 200
    clock.advance(3600)
    assert await esc.run_once() == []
    doc = await app[ALERTS].get(alert["_id"])
    assert doc["escalation_level"] == 2 and doc["next_escalation_at"] is None
    assert [h["action"] for h in doc["history"]].count("escalated") == 2
    assert stranger.of("alert:escalated") == []
    await stranger.disconnect()
    await patient.disconnect()


async def test_escalation_survives_a_restart(aiohttp_client, settings, clock, api, app):
    people = await cast(api)
    alert = await raise_critical(app, people)
    await api.client.close()                                 # the first server stops
    clock.advance(301)
    second = create_app(settings, clock)
    await aiohttp_client(second)
    (done,) = await second[ALERT_ENGINE].escalation.run_once()
    assert done["_id"] == alert["_id"] and done["escalation_level"] == 1


async def test_exactly_one_escalation_with_two_instances_sharing_the_database(aiohttp_client, settings, clock,
                                                                               api, app):
    people = await cast(api)
    await raise_critical(app, people)
    await feed(app, people["device"], {"heart_rate": 150, "spo2": 88, "temperature": 36.8}, times=14)
    other = create_app(settings, clock)
    await aiohttp_client(other)
    open_alerts = await app[ALERTS].coll.count_documents({"patient_id": people["pid"], "open": True,
                                                          "next_escalation_at": {"$ne": None}})
    assert open_alerts == 1  # one episode: spo2_low, heart_rate_high and NEWS2 are its causes
    clock.advance(1000)
    for _ in range(3):  # three due times: each escalates every alert once, whichever process wins
        a, b = await asyncio.gather(app[ALERT_ENGINE].escalation.run_once(),
                                    other[ALERT_ENGINE].escalation.run_once())
        ids = [d["_id"] for d in a + b]
        assert len(ids) == open_alerts and len(set(ids)) == open_alerts
        clock.advance(300)
    docs = await app[ALERTS].coll.find({"patient_id": people["pid"], "open": True}).to_list(None)
    assert sorted(d["escalation_level"] for d in docs if d["next_escalation_at"]) == [3] * open_alerts


async def test_acknowledge_rules(api, app):
    people = await cast(api)
    alert = await raise_critical(app, people)
    url = f"/api/iot/alerts/{alert['_id']}/acknowledge"
    for who, expected in (("patient", 403), ("stranger", 404), ("pharma", 403), ("admin", 403)):
        status, body = await api.call("POST", url, people[who][1], json={})
        assert status == expected, (who, body)
    status, body = await api.call("POST", url, people["doctor"][1], json={"comment": "x" * 501})
    assert status == 400
    status, body = await api.call("POST", url, people["doctor"][1], json={"comment": "on my way"})
    assert status == 200 and body["acknowledged_by"] == people["doctor"][0]["id"]
    status, body = await api.call("POST", url, people["ward"][1], json={})
    assert status == 409 and body["error"]["code"] == "already_acknowledged"
