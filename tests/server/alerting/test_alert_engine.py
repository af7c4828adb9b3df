"""The alert engine inside the running server: persistence, one open alert, who hears, devices, NEWS2."""

from __future__ import annotations

import asyncio

import pytest

from server.app import create_app
from server.keys import ALERT_ENGINE, ALERTS
from tests.support.alerting import NORMAL, add_device, alerts_of, cast, feed
from tests.support.helpers import Recorder, until

pytestmark = pytest.mark.ward


async def listen(api, people, *names):
    return {n: await Recorder(api, people[n][1]).connect() for n in names}


def alert_events(rec: Recorder, name: str) -> list[dict]:
    return [d for d in rec.of(name)]


async def test_burst_of_bad_readings_raises_one_alert_to_the_allowed_people_only(api, app):
    people = await cast(api)
    recs = await listen(api, people, "patient", "doctor", "ward", "stranger", "other", "pharma", "admin")
    await feed(app, people["device"], NORMAL, times=5)
    await feed(app, people["device"], {**NORMAL, "spo2": 88}, times=5, every=5)  # 25 s: not yet
    assert await alerts_of(app, people["pid"]) == []
    await feed(app, people["device"], {**NORMAL, "spo2": 88}, times=60, every=0.5)  # a burst
    docs = await alerts_of(app, people["pid"])
    # one alert however many readings (SpO2 88 % is also a NEWS2 3, but that rule needs 60 s)
    assert [(d["type"], d["severity"], d["state"]) for d in docs] == [("spo2_low", "critical",
                                                                       "active_unacknowledged")]
    docs = await alerts_of(app, people["pid"], type="spo2_low")
    assert docs[0]["count"] == 41  # from the reading that completed 30 s of breach and docs[0]["last_value"] == 88
    for name in ("patient", "doctor", "ward"):
        await until(lambda n=name: len(recs[n].of("alert:raised")) == 1)
        raised = recs[name].of("alert:raised")[0]["alert"]
        assert raised["severity"] == "critical" and raised["id"] == docs[0]["_id"]
        inbox = [n for n in recs[name].new if n["type"] == "alert"]
        assert [n["link"] for n in inbox] == [{"type": "alert", "id": docs[0]["_id"]}]
    await asyncio.sleep(0.3)
    for name in ("stranger", "other", "pharma", "admin"):
        assert not [e for e, _ in recs[name].events if e.startswith("alert:")], name
        assert not [n for n in recs[name].new if n["type"] == "alert"], name
    # back in range: clears after the rule's time, once, automatically
    await feed(app, people["device"], NORMAL, times=11, every=5)
    assert (await alerts_of(app, people["pid"], type="spo2_low"))[0]["state"] == "active_unacknowledged"
    await feed(app, people["device"], NORMAL, times=2, every=5)
    (doc,) = await alerts_of(app, people["pid"], type="spo2_low")
    assert doc["state"] == "cleared_unacknowledged" and doc["clear_reason"] == "auto"
    await until(lambda: doc["_id"] in [e["alert"]["id"] for e in recs["doctor"].of("alert:cleared")])
    for rec in recs.values():
        await rec.disconnect()


async def test_severity_rise_is_notified_and_rearms_an_acknowledged_alert(api, app):
    people = await cast(api)
    await feed(app, people["device"], {**NORMAL, "spo2": 93}, times=8)
    (doc,) = await alerts_of(app, people["pid"])
    assert doc["severity"] == "warning"
    status, body = await api.call("POST", f"/api/iot/alerts/{doc['_id']}/acknowledge", people["doctor"][1],
                                  json={"comment": "watching"})
    assert status == 200 and body["state"] == "active_acknowledged" and body["ack_comment"] == "watching"
    await feed(app, people["device"], {**NORMAL, "spo2": 83}, times=8)
    (doc,) = await alerts_of(app, people["pid"])
    assert (doc["severity"], doc["state"]) == ("emergency", "active_unacknowledged")
    actions = [h["action"] for h in doc["history"]]
    assert actions[:2] == ["raised", "acknowledged"] and "severity_rose" in actions
    assert doc["next_escalation_at"] is not None


async def test_manual_clear_needs_the_breach_to_persist_again(api, app):
    people = await cast(api)
    await feed(app, people["device"], {**NORMAL, "heart_rate": 140}, times=14)
    (doc,) = await alerts_of(app, people["pid"], type="heart_rate_high")
    status, body = await api.call("POST", f"/api/iot/alerts/{doc['_id']}/clear", people["ward"][1], json={})
    assert status == 200 and body["state"] == "cleared_unacknowledged" and body["cleared_by"] == people["ward"][0]["id"]
    status, body = await api.call("POST", f"/api/iot/alerts/{doc['_id']}/clear", people["ward"][1], json={})
    assert status == 409
    await feed(app, people["device"], {**NORMAL, "heart_rate": 140}, times=5)
    assert len(await alerts_of(app, people["pid"], type="heart_rate_high")) == 1
    await feed(app, people["device"], {**NORMAL, "heart_rate": 140}, times=10)
    assert len(await alerts_of(app, people["pid"], type="heart_rate_high")) == 2


async def test_manual_clear_in_another_server_process_also_needs_the_breach_again(aiohttp_client, settings, clock,
                                                                                api, app):
    people = await cast(api)
    await feed(app, people["device"], {**NORMAL, "heart_rate": 140}, times=14)
    (doc,) = await alerts_of(app, people["pid"], type="heart_rate_high")
    other = await aiohttp_client(create_app(settings, clock))  # the clinician's browser talks to this one
    resp = await other.post(f"/api/iot/alerts/{doc['_id']}/clear", json={},
                            headers={"Authorization": f"Bearer {people['ward'][1]}"})
    assert resp.status == 200
    await feed(app, people["device"], {**NORMAL, "heart_rate": 140}, times=5)  # the device still talks to `app`
    assert len(await alerts_of(app, people["pid"], type="heart_rate_high")) == 1
    await feed(app, people["device"], {**NORMAL, "heart_rate": 140}, times=14)
    docs = await alerts_of(app, people["pid"], type="heart_rate_high")
    assert [d["open"] for d in sorted(docs, key=lambda d: d["first_at"])] == [False, True]


async def test_news2_endpoint_partial_then_complete_and_news2_alert(api, app):
    people = await cast(api)
    pid, doctor = people["pid"], people["doctor"][1]
    await feed(app, people["device"], {"heart_rate": 72, "spo2": 97, "temperature": 36.8}, times=2)
    status, n = await api.call("GET", f"/api/iot/patients/{pid}/news2", doctor)
    assert status == 200 and n["partial"] and n["score"] == 0
    assert n["missing"] == ["respiratory_rate", "supplemental_oxygen", "systolic", "consciousness"]
    status, n = await api.call("POST", f"/api/iot/patients/{pid}/observations", doctor,
                               json={"consciousness": "A", "supplemental_oxygen": False, "respiratory_rate": 18})
    assert status == 201 and n["missing"] == ["systolic"] and n["parameters"]["consciousness"]["score"] == 0
    status, _ = await api.call("GET", f"/api/iot/patients/{pid}/news2", people["stranger"][1])
    assert status == 403
    # deteriorating: RR 22 (2) + HR 115 (2) + temp 38.5 (1) = 5 once the manual RR is replaced
    bad = {"heart_rate": 115, "spo2": 97, "temperature": 38.5, "respiratory_rate": 22, "systolic": 120}
    await feed(app, people["device"], bad, times=14)
    (news,) = await alerts_of(app, pid, open=True)  # one episode: NEWS2 and the heart-rate rule
    assert news["severity"] == "critical" and news["data"]["news2"]["score"] == 5
    assert not news["data"]["news2"]["partial"]
    assert {(c["kind"], c.get("parameter") or c.get("rule"), c.get("score")) for c in news["causes"]} == {
        ("rule", "heart_rate_high", None), ("rule", "respiratory_rate_high", None), ("news2", "respiratory_rate", 2),
        ("news2", "heart_rate", 2),
        ("news2", "temperature", 1)}
    # the stored inputs age out of the window: the score says so instead of reusing them
    app[ALERT_ENGINE].clock.advance(3600)
    status, n = await api.call("GET", f"/api/iot/patients/{pid}/news2", people["patient"][1])
    assert status == 200 and n["parameters"] == {} and n["partial"]


async def test_offline_device_marks_alerts_stale_and_recovers(api, app):
    people = await cast(api)
    engine, device, pid = app[ALERT_ENGINE], people["device"], people["pid"]
    await add_device(app, pid, interval_s=600, device_id="slow-device")
    await feed(app, device, {**NORMAL, "temperature": 39.5}, times=30)
    (fever,) = await alerts_of(app, pid, type="temperature_high")
    engine.clock.advance(299)
    assert await engine.devices.scan_offline() == []
    engine.clock.advance(2)
    raised = await engine.devices.scan_offline()
    assert [a["source"] for a in raised] == [device["_id"]]  # the 600 s device has 1200 s of grace
    assert await engine.devices.scan_offline() == []           # once, not every pass
    assert (await app[ALERTS].get(fever["_id"]))["stale"] is True
    engine.clock.advance(900)
    assert [a["source"] for a in await engine.devices.scan_offline()] == ["slow-device"]
    await feed(app, device, {**NORMAL, "temperature": 39.5})
    offline = await alerts_of(app, pid, type="device_offline")
    assert {a["source"]: a["state"] for a in offline} == {device["_id"]: "cleared_unacknowledged",
                                                          "slow-device": "active_unacknowledged"}
    assert (await app[ALERTS].get(fever["_id"]))["stale"] is False


async def test_battery_and_device_sent_alerts(api, app):
    people = await cast(api)
    engine, dev, pid = app[ALERT_ENGINE], people["device"]["_id"], people["pid"]
    hb = {"type": "heartbeat", "device_id": dev, "patient_id": pid, "rssi": -60, "uptime": 1, "free_heap": 1}
    await engine.on_device_event({**hb, "battery": 50})
    assert await alerts_of(app, pid) == []
    await engine.on_device_event({**hb, "battery": 18})
    await engine.on_device_event({**hb, "battery": 8})
    (bat,) = await alerts_of(app, pid, type="battery_low")
    assert bat["severity"] == "critical" and bat["count"] == 2
    await engine.on_device_event({**hb, "battery": 22})
    assert (await app[ALERTS].get(bat["_id"]))["open"]
    await engine.on_device_event({**hb, "battery": 90})
    assert (await app[ALERTS].get(bat["_id"]))["state"] == "cleared_unacknowledged"
    fault = {"type": "alert", "device_id": dev, "patient_id": pid, "code": "probe_off", "message": "SpO2 probe off"}
    await engine.on_device_event({**fault, "severity": None})
    await engine.on_device_event({**fault, "severity": None})
    (sent,) = await alerts_of(app, pid, type="device_alert")
    assert sent["severity"] == "warning" and sent["count"] == 2 and sent["data"]["code"] == "probe_off"
    await engine.on_device_event({**fault, "severity": "clear"})
    assert (await app[ALERTS].get(sent["_id"]))["state"] == "cleared_unacknowledged"
