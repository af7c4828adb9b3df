"""FHIR R4 Observation search: Bundle structure, vital-signs category, LOINC/UCUM, BP panel."""

from __future__ import annotations

import re

from tests.support.iot import people, provision


async def fhir(api, query: str, token: str) -> tuple[int, dict]:
    resp = await api.client.get(f"/fhir/Observation?{query}", headers={"Authorization": f"Bearer {token}"})
    return resp.status, await resp.json(content_type=None)


async def test_observation_bundle_structure(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    pid = p["patient"]["id"]
    await api.call("POST", "/api/iot/data", dev["token"], json={
        "seq": 1, "readings": {"heart_rate": 72, "systolic": 128, "diastolic": 84, "temperature": 37.2}})
    await api.call("POST", "/api/iot/data", dev["token"], json={"seq": 2, "readings": {"spo2": 95}})
    resp = await api.client.get(f"/fhir/Observation?patient={pid}",
                                headers={"Authorization": f"Bearer {p['doctor_token']}"})
    assert resp.status == 200 and resp.content_type == "application/fhir+json"
    bundle = await resp.json(content_type=None)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset" and bundle["total"] == 4
    resources = [e["resource"] for e in bundle["entry"]]
    for entry in bundle["entry"]:
        assert entry["search"] == {"mode": "match"} and entry["fullUrl"].endswith("/fhir/Observation/" +
                                                                                    entry["resource"]["id"])
    by_code = {r["code"]["coding"][0]["code"]: r for r in resources}
    assert set(by_code) == {"8867-4", "85354-9", "8310-5", "59408-5"}
    for r in resources:
        assert r["resourceType"] == "Observation" and r["status"] == "final"
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", r["id"])
        assert r["category"][0]["coding"][0] == {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs",
            "display": "Vital Signs"}
        assert r["subject"] == {"reference": f"Patient/{pid}"}
        assert r["code"]["coding"][0]["system"] == "http://loinc.org"
        assert "effectiveDateTime" in r and r["device"] == {"reference": f"Device/{dev['id']}"}
    assert by_code["8867-4"]["valueQuantity"] == {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org",
                                                  "code": "/min"}
    assert by_code["8310-5"]["valueQuantity"]["code"] == "Cel"
    bp = by_code["85354-9"]
    assert "valueQuantity" not in bp
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
            for c in bp["component"]] == [("8480-6", 128, "mm[Hg]"), ("8462-4", 84, "mm[Hg]")]
    # code and date filters
    status, body = await fhir(api, f"patient=Patient/{pid}&code=http://loinc.org|59408-5", p["doctor_token"])
    assert [e["resource"]["valueQuantity"]["value"] for e in body["entry"]] == [95]
    status, body = await fhir(api, f"patient={pid}&code=8480-6", p["patient_token"])
    assert status == 200 and [e["resource"]["code"]["coding"][0]["code"] for e in body["entry"]] == ["85354-9"]
    _status, body = await fhir(api, f"patient={pid}&date=ge2099-01-01", p["doctor_token"])
    assert body["total"] == 0 and body["entry"] == []
    assert (await fhir(api, f"patient={pid}", p["stranger_token"]))[0] == 403
    assert (await fhir(api, f"patient={pid}&date=ge-yesterday", p["doctor_token"]))[0] == 400
