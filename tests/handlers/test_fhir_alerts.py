"""Clinical alerts as FHIR DetectedIssues: the same alerts as the REST API, acknowledgement and
clearance as mitigations, visible to whoever sees the patient's vitals and nobody else."""

from __future__ import annotations

import pytest

from server.fhir.issues import detected_issue, exported
from tests.support.alerting import NORMAL, cast, feed
from tests.support.fhir import get, validate

pytestmark = pytest.mark.ward


async def test_alerts_export_as_detected_issues(api, app):
    people = await cast(api)
    pid, doc_token = people["pid"], people["doctor"][1]
    await feed(app, people["device"], {**NORMAL, "spo2": 92}, times=30)
    _, alerts = await api.call("GET", "/api/iot/alerts", doc_token)
    spo2 = next(a for a in alerts if a["type"] == "spo2_low")
    assert spo2["severity"] == "warning"
    status, bundle, _ = await get(api, f"/fhir/DetectedIssue?patient={pid}", doc_token)
    assert status == 200 and validate(bundle)["total"] == len(alerts)
    issues = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    assert set(issues) == {a["id"] for a in alerts}
    issue = issues[spo2["id"]]
    assert issue["status"] == "preliminary" and issue["severity"] == "moderate"
    assert issue["code"]["coding"] == [{"system": "urn:fadjma:alert-type", "code": "spo2_low"}]
    assert issue["patient"] == {"reference": f"Patient/{pid}"} and "mitigation" not in issue
    assert issue["evidence"][0]["code"][0]["coding"][0]["code"] == "59408-5"
    assert issue["extension"] == [{"url": "urn:fadjma:fhir:alert-severity", "valueCode": "warning"}]
    await api.call("POST", f"/api/iot/alerts/{spo2['id']}/acknowledge", doc_token, json={"comment": "seen"})
    await api.call("POST", f"/api/iot/alerts/{spo2['id']}/clear", doc_token, json={"comment": "probe moved"})
    status, issue, _ = await get(api, f"/fhir/DetectedIssue/{spo2['id']}", people["patient"][1])
    assert status == 200 and validate(issue)["status"] == "final" and issue["identifiedPeriod"]["end"]
    doctor = {"type": "Practitioner", "identifier": {"system": "urn:fadjma:user", "value": people["doctor"][0]["id"]}}
    assert [(m["action"]["coding"][0]["code"], m["author"]) for m in issue["mitigation"]] == [
        ("acknowledged", doctor), ("cleared", doctor)]
    assert (await get(api, "/fhir/DetectedIssue", people["patient"][1]))[1]["total"] == len(alerts)  # own by default
    assert (await get(api, f"/fhir/DetectedIssue?patient={pid}", people["ward"][1]))[0] == 200  # unit staff
    for who in ("other", "stranger", "pharma", "admin"):
        status, body, _ = await get(api, f"/fhir/DetectedIssue/{spo2['id']}", people[who][1])
        assert status == 404 and validate(body)["issue"][0]["code"] == "not-found", who
        status, body, _ = await get(api, f"/fhir/DetectedIssue?patient={pid}", people[who][1])
        assert status == 404, who
    assert (await get(api, "/fhir/DetectedIssue/nope", doc_token))[0] == 404
    status, body, _ = await get(api, "/fhir/DetectedIssue?_count=0", doc_token)
    assert status == 400 and body["issue"][0]["expression"] == ["_count"]


def test_device_alerts_are_not_exported_and_severities_map():
    from datetime import UTC, datetime
    t = datetime(2026, 11, 28, tzinfo=UTC)
    base = {"_id": "a1", "patient_id": "p1", "type": "news2", "open": True, "first_at": t, "last_value": 7}
    assert not exported({**base, "category": "device"}) and exported({**base, "category": "clinical"})
    for ours, fhir in (("emergency", "high"), ("critical", "high"), ("warning", "moderate"), ("info", "low")):
        assert validate(detected_issue({**base, "severity": ours}))["severity"] == fhir
