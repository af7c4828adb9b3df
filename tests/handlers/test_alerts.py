"""REST: alert lists and filters, per-patient rule overrides (audited), access to NEWS2."""

from __future__ import annotations

import pytest

from server.keys import ALERT_ENGINE
from tests.support.alerting import NORMAL, cast, feed

pytestmark = pytest.mark.ward


async def test_lists_and_filters_show_only_visible_patients(api, app):
    people = await cast(api)
    await feed(app, people["device"], {**NORMAL, "spo2": 92, "temperature": 38.5}, times=30)
    engine, dev = app[ALERT_ENGINE], people["device"]["_id"]
    await engine.on_device_event({"type": "heartbeat", "device_id": dev, "patient_id": people["pid"], "rssi": -60,
                                  "uptime": 1, "free_heap": 1, "battery": 18})  # a device alert beside it
    doc_token = people["doctor"][1]
    status, alerts = await api.call("GET", "/api/iot/alerts", doc_token)
    assert status == 200
    # one clinical episode with both causes (SpO2 92 %: warning; 38.5 °C: info), and the device's battery
    assert [(a["type"], a["severity"]) for a in alerts] == [("spo2_low", "warning"), ("battery_low", "warning")]
    spo2 = alerts[0]
    assert {(c["rule"], c["severity"]) for c in spo2["causes"]} == {("spo2_low", "warning"),
                                                                    ("temperature_high", "info")}
    assert "rev" not in spo2 and "group" in spo2
    status, body = await api.call("GET", "/api/iot/alerts?severity=info", doc_token)
    assert body == []
    status, body = await api.call("GET", "/api/iot/alerts/critical", doc_token)
    assert status == 200 and body == []
    await api.call("POST", f"/api/iot/alerts/{spo2['id']}/acknowledge", doc_token, json={})
    status, body = await api.call("GET", "/api/iot/alerts?unacknowledged=true", doc_token)
    assert [a["type"] for a in body] == ["battery_low"]
    await api.call("POST", f"/api/iot/alerts/{spo2['id']}/clear", doc_token, json={"comment": "probe moved"})
    status, body = await api.call("GET", "/api/iot/alerts/active", doc_token)
    assert [a["type"] for a in body] == ["battery_low"]
    status, body = await api.call("GET", "/api/iot/alerts?active=false", doc_token)
    assert [(a["type"], a["state"]) for a in body] == [("spo2_low", "cleared_acknowledged")]
    assert [h["action"] for h in body[0]["history"]] == ["raised", "cause_added", "acknowledged", "cleared"]
    # the patient sees their own, the ward staff see the unit's, others see nothing
    for who, count in (("patient", 2), ("ward", 2), ("stranger", 0), ("other", 0), ("pharma", 0), ("admin", 0)):
        status, body = await api.call("GET", "/api/iot/alerts", people[who][1])
        assert status == 200 and len(body) == count, who
    status, _ = await api.call("GET", f"/api/iot/alerts?patient={people['pid']}", people["stranger"][1])
    assert status == 403
    status, _ = await api.call("GET", f"/api/iot/alerts/{spo2['id']}", people["other"][1])
    assert status == 404
    status, _ = await api.call("GET", "/api/iot/alerts?severity=loud", doc_token)
    assert status == 400


async def test_overrides_by_a_granted_doctor_are_audited_and_applied(api, app):
    people = await cast(api)
    pid = people["pid"]
    url = f"/api/iot/patients/{pid}/alert-rules"
    status, rules = await api.call("GET", url, people["patient"][1])
    assert status == 200 and rules["spo2_scale"] == 1
    assert {r["key"] for r in rules["rules"]} >= {"spo2_low", "heart_rate_high", "glucose_low"}
    change = {"overrides": {"heart_rate_high": {"bands": [{"severity": "warning", "threshold": 100}],
                                                "duration_s": 10}},
              "spo2_scale": 2, "reason": "COPD, known tachycardia threshold"}
    for who in ("patient", "stranger", "pharma"):
        status, _ = await api.call("PUT", url, people[who][1], json=change)
        assert status == 403, who
    bad = {"overrides": {"heart_rate_high": {"bands": [{"severity": "critical", "threshold": 130},
                                                       {"severity": "warning", "threshold": 140}]}}}
    status, body = await api.call("PUT", url, people["doctor"][1], json=bad)
    assert status == 400 and body["error"]["code"] == "invalid_bands"
    status, body = await api.call("PUT", url, people["doctor"][1], json={"overrides": {"mood_low": {}}})
    assert status == 400 and body["error"]["code"] == "unknown_rule"
    status, rules = await api.call("PUT", url, people["doctor"][1], json=change)
    assert status == 200 and rules["spo2_scale"] == 2
    hr = next(r for r in rules["rules"] if r["key"] == "heart_rate_high")
    assert hr["bands"] == [{"severity": "warning", "threshold": 100.0}] and hr["duration_s"] == 10
    spo2 = next(r for r in rules["rules"] if r["key"] == "spo2_low")
    assert spo2["bands"][0] == {"severity": "warning", "threshold": 85}
    status, audit = await api.call("GET", f"{url}/audit", people["doctor"][1])
    assert status == 200 and len(audit) == 1
    assert audit[0]["by"] == people["doctor"][0]["id"] and audit[0]["reason"].startswith("COPD")
    assert audit[0]["before"] == {"overrides": {}, "spo2_scale": 1} and audit[0]["after"]["spo2_scale"] == 2
    # applied: HR 105 now warns; SpO2 89 on scale 2 does not
    await feed(app, people["device"], {**NORMAL, "heart_rate": 105, "spo2": 89}, times=4)
    status, alerts = await api.call("GET", "/api/iot/alerts/active", people["doctor"][1])
    assert [a["type"] for a in alerts] == ["heart_rate_high"]
    # removing the override restores the default
    status, rules = await api.call("PUT", url, people["doctor"][1], json={"overrides": {"heart_rate_high": None}})
    assert next(r for r in rules["rules"] if r["key"] == "heart_rate_high")["bands"][0]["threshold"] == 111
    status, audit = await api.call("GET", f"{url}/audit", people["doctor"][1])
    assert len(audit) == 2
