"""FHIR R4 over REST: Observation search and read, Patient read and search, paging, errors, formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.support.fhir import get, validate
from tests.support.iot import grant, people, provision


async def post(api, token: str, seq: int, readings: dict, ts: datetime | None = None) -> None:
    body = {"seq": seq, "readings": readings, **({"ts": ts.isoformat()} if ts else {})}
    status, out = await api.call("POST", "/api/iot/data", token, json=body)
    assert status == 200 and out["status"] == "accepted", out


def outcome(body: dict, code: str) -> dict:
    validate(body)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == code, body
    return body["issue"][0]


async def test_observation_bundle_structure(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    pid = p["patient"]["id"]
    await post(api, dev["token"], 1, {"heart_rate": 72, "systolic": 128, "diastolic": 84, "temperature": 37.2,
                                      "respiratory_rate": 16, "glucose": 110})
    await post(api, dev["token"], 2, {"spo2": 95})
    status, bundle, resp = await get(api, f"/fhir/Observation?patient={pid}", p["doctor_token"])
    assert status == 200 and resp.content_type == "application/fhir+json"
    validate(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] == 6 and len(bundle["entry"]) == 6
    assert [link["relation"] for link in bundle["link"]] == ["self"]
    resources = [e["resource"] for e in bundle["entry"]]
    for entry in bundle["entry"]:
        assert entry["search"] == {"mode": "match"} and entry["fullUrl"].endswith(
            "/fhir/Observation/" + entry["resource"]["id"])
    profile = {r["meta"]["profile"][0].rsplit("/", 1)[1]: r for r in resources}
    assert set(profile) == {"heartrate", "bp", "bodytemp", "resprate", "oxygensat", "Observation"}
    assert [c["code"] for c in profile["oxygensat"]["code"]["coding"]] == ["2708-6", "59408-5"]
    assert profile["Observation"]["code"]["coding"][0]["code"] == "2339-0"  # glucose: laboratory, not a vital sign
    for r in resources:
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", r["id"]) and r["id"].startswith(pid + ".")
        assert r["status"] == "final" and r["subject"] == {"reference": f"Patient/{pid}"}
        assert r["device"] == {"reference": f"Device/{dev['id']}"}
    assert profile["heartrate"]["valueQuantity"] == {"value": 72, "unit": "/min",
                                                    "system": "http://unitsofmeasure.org", "code": "/min"}
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in profile["bp"]["component"]] \
        == [("8480-6", 128), ("8462-4", 84)]
    # newest first: the SpO2 set was measured last
    assert resources[0] is profile["oxygensat"]

    async def codes(query: str, token: str = p["doctor_token"]) -> list[str]:
        status, body, _ = await get(api, f"/fhir/Observation?{query}", token)
        assert status == 200, body
        return sorted(e["resource"]["code"]["coding"][0]["code"] for e in validate(body)["entry"])

    assert await codes(f"patient=Patient/{pid}&code=http://loinc.org|2708-6") == ["2708-6"]
    assert await codes(f"subject=Patient/{pid}&code=59408-5") == ["2708-6"]
    assert await codes(f"patient={pid}&code=8480-6", p["patient_token"]) == ["85354-9"]
    assert await codes("code=8867-4,9279-1", p["patient_token"]) == ["8867-4", "9279-1"]  # own data by default
    assert await codes(f"patient={pid}&code=http://snomed.info/sct|8867-4") == []
    assert await codes(f"patient={pid}&category=laboratory") == ["2339-0"]
    assert len(await codes(f"patient={pid}&category=http://terminology.hl7.org/CodeSystem/observation-category"
                           "|vital-signs")) == 5
    assert await codes(f"patient={pid}&date=ge2099-01-01") == []
    day = resources[0]["effectiveDateTime"][:10]  # a bare day: that whole day (UTC)
    assert len(await codes(f"patient={pid}&date={day}")) == sum(r["effectiveDateTime"][:10] == day for r in resources)
    # every Observation reads back by its id, identical
    for r in resources:
        status, body, _ = await get(api, f"/fhir/Observation/{r['id']}", p["patient_token"])
        assert status == 200 and validate(body) == r


async def test_paging_through_next_links_in_both_orders(api):
    p = await people(api)
    pid = p["patient"]["id"]
    dev = await provision(api, p["admin"], pid)
    dev2 = await provision(api, p["admin"], pid)
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(7):  # 7 sets a minute apart, each HR + RR: 14 Observations
        await post(api, dev["token"], i + 1, {"heart_rate": 60 + i, "respiratory_rate": 12 + i},
                   now - timedelta(minutes=10 - i))
    await post(api, dev2["token"], 1, {"heart_rate": 99}, now - timedelta(minutes=7))  # same ms as set 3
    for seq, hours in ((2, 3), (3, 20), (4, 25)):  # hours apart: several growing slices; 25 h is outside the day
        await post(api, dev2["token"], seq, {"heart_rate": 50 + seq}, now - timedelta(hours=hours))
    for sort, reverse in (("-date", True), ("date", False)):
        url, seen, pages = f"/fhir/Observation?patient={pid}&_count=4&_sort={sort}", [], 0
        while url:
            status, body, _ = await get(api, url.removeprefix(api.base_url), p["doctor_token"])
            assert status == 200, body
            validate(body)
            pages += 1
            links = {link["relation"]: link["url"] for link in body["link"]}
            assert links["self"].startswith(f"{api.base_url}/fhir/Observation?patient={pid}")
            assert ("total" in body) is False or pages == 1
            seen += [(e["resource"]["effectiveDateTime"], e["resource"]["id"]) for e in body["entry"]]
            url = links.get("next")
        assert pages == 5 and len(seen) == 17 and len(set(seen)) == 17
        assert seen == sorted(seen, reverse=reverse)
        # a page size that cuts inside one millisecond (3 Observations at minute -7) loses nothing
        url, ids = f"/fhir/Observation?patient={pid}&_count=1&_sort={sort}", []
        while url:
            body = (await get(api, url.removeprefix(api.base_url), p["doctor_token"]))[1]
            ids += [e["resource"]["id"] for e in body["entry"]]
            url = {link["relation"]: link["url"] for link in body["link"]}.get("next")
        assert ids == [i for _, i in seen]


async def test_patient_read_and_search_only_for_visible_patients(api):
    p = await people(api)
    pid = p["patient"]["id"]
    other, other_token = await api.user("pat2", "patient")
    status, body, _ = await get(api, f"/fhir/Patient/{pid}", p["doctor_token"])
    assert status == 200 and validate(body)["id"] == pid
    assert body["gender"] == "female" and body["birthDate"] == "1980-05-01"
    assert {(i["system"], i["value"]) for i in body["identifier"]} == {("urn:fadjma:user", pid),
                                                                         ("urn:fadjma:username", "pat1")}
    assert (await get(api, f"/fhir/Patient/{pid}", p["patient_token"]))[0] == 200
    # another patient, a doctor without a grant, an unknown id: one and the same 404
    for token, target in ((other_token, pid), (p["patient_token"], other["id"]), (p["stranger_token"], pid),
                          (p["doctor_token"], "no-such-patient"), (p["doctor_token"], p["doctor"]["id"])):
        status, body, _ = await get(api, f"/fhir/Patient/{target}", token)
        assert status == 404 and outcome(body, "not-found")["diagnostics"] == f"Patient/{target} is not known to you"

    async def search(query: str, token: str) -> list[str]:
        status, body, _ = await get(api, f"/fhir/Patient?{query}", token)
        assert status == 200, body
        return [e["resource"]["id"] for e in validate(body)["entry"]]

    assert await search("identifier=urn:fadjma:username|pat1", p["doctor_token"]) == [pid]
    assert await search("identifier=pat1", p["doctor_token"]) == [pid]
    assert await search(f"identifier=urn:fadjma:user|{pid}", p["patient_token"]) == [pid]
    assert await search("identifier=urn:fadjma:username|pat2", p["doctor_token"]) == []  # exists, not visible
    assert await search("identifier=pat1", other_token) == []
    assert await search("identifier=pat1", p["stranger_token"]) == []
    assert await search("", p["doctor_token"]) == [pid]
    await grant(api.client.app, p["doctor"]["id"], other["id"], scopes=("records",))  # any scope shows the Patient
    assert sorted(await search("", p["doctor_token"])) == sorted([pid, other["id"]])
    assert await search(f"_id={other['id']}", p["doctor_token"]) == [other["id"]]


async def test_a_patient_cannot_read_another_patients_observations(api):
    p = await people(api)
    pid = p["patient"]["id"]
    _other, other_token = await api.user("pat2", "patient")
    dev = await provision(api, p["admin"], pid)
    await post(api, dev["token"], 1, {"heart_rate": 80})
    body = (await get(api, "/fhir/Observation", p["patient_token"]))[1]
    obs_id = body["entry"][0]["resource"]["id"]
    for token in (other_token, p["stranger_token"]):
        status, body, _ = await get(api, f"/fhir/Observation/{obs_id}", token)
        assert status == 404 and outcome(body, "not-found")
        status, body, _ = await get(api, f"/fhir/Observation?patient={pid}", token)
        assert status == 404 and outcome(body, "not-found")
    # the other patient's own search defaults to their own (empty) data, never this patient's
    status, body, _ = await get(api, "/fhir/Observation", other_token)
    assert status == 200 and body["entry"] == [] and body["total"] == 0
    # an id of the right shape that names no reading: the same 404
    assert (await get(api, f"/fhir/Observation/{obs_id[:-8]}00000000", p["patient_token"]))[0] == 404
    assert (await get(api, "/fhir/Observation/not-an-id", p["patient_token"]))[0] == 404


async def test_metadata_formats_and_errors_are_operation_outcomes(api):
    p = await people(api)
    status, body, resp = await get(api, "/fhir/metadata")  # no token needed
    assert status == 200 and resp.content_type == "application/fhir+json"
    validate(body)
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(served) == {"Patient", "Observation", "DetectedIssue"}
    assert {p["name"] for p in served["Observation"]["searchParam"]} == {"patient", "subject", "code", "date",
                                                                         "category"}
    assert "http://hl7.org/fhir/StructureDefinition/oxygensat" in served["Observation"]["supportedProfile"]
    for accept in ("application/fhir+json", "application/json", "*/*", "application/fhir+json;q=0.9, */*;q=0.1"):
        assert (await get(api, "/fhir/metadata", Accept=accept))[0] == 200
    assert (await get(api, "/fhir/metadata?_format=json"))[0] == 200
    for path, headers in (("/fhir/metadata", {"Accept": "application/fhir+xml"}), ("/fhir/metadata?_format=xml", {})):
        status, body, _ = await get(api, path, **headers)
        assert status == 406 and outcome(body, "not-supported")
    pid = p["patient"]["id"]
    cases = [
        ("/fhir/Observation", None, 401, "login"),
        (f"/fhir/Patient/{pid}", "not-a-token", 401, "login"),
        (f"/fhir/Observation?patient={pid}&date=ge-yesterday", p["doctor_token"], 400, "invalid"),
        (f"/fhir/Observation?patient={pid}&_count=0", p["doctor_token"], 400, "invalid"),
        (f"/fhir/Observation?patient={pid}&_sort=value", p["doctor_token"], 400, "invalid"),
        ("/fhir/Observation", p["doctor_token"], 400, "invalid"),  # a doctor names the patient
        ("/fhir/Encounter", p["doctor_token"], 404, "not-found"),
        ("/fhir/Observation/a/b", p["doctor_token"], 404, "not-found"),
    ]
    for path, token, code, issue in cases:
        status, body, resp = await get(api, path, token)
        assert (status, resp.content_type) == (code, "application/fhir+json"), (path, body)
        outcome(body, issue)
    issue = outcome((await get(api, f"/fhir/Observation?patient={pid}&date=ge-yesterday", p["doctor_token"]))[1],
                    "invalid")
    assert issue["expression"] == ["date"] and "not a FHIR date" in issue["diagnostics"]
    # unknown parameters: ignored (and left out of `self`), a 400 under Prefer: handling=strict
    status, body, _ = await get(api, f"/fhir/Observation?patient={pid}&color=red", p["doctor_token"])
    assert status == 200 and "color" not in body["link"][0]["url"]
    status, body, _ = await get(api, f"/fhir/Observation?patient={pid}&color=red", p["doctor_token"],
                                Prefer="handling=strict")
    assert status == 400 and outcome(body, "invalid")["expression"] == ["color"]
    auth = {"Authorization": f"Bearer {p['doctor_token']}"}
    resp = await api.client.post("/fhir/Observation", json={}, headers=auth)
    assert resp.status == 405 and outcome(await resp.json(content_type=None), "not-supported")
    assert resp.headers["Allow"] == "GET, HEAD"
    resp = await api.client.post("/fhir/Observation/_search", json={"patient": pid}, headers=auth)
    assert resp.status == 415 and outcome(await resp.json(content_type=None), "not-supported")
    resp = await api.client.post("/fhir/Observation/_search", data={"patient": pid}, headers=auth)
    assert resp.status == 200 and validate(await resp.json(content_type=None))["type"] == "searchset"


async def test_a_reading_with_an_implausible_device_clock_is_dated_on_receipt_and_flagged(api):
    """As everywhere else since late data (models/vitals.py build_message): a clock we do not trust
    measures nothing, so the reading stands at its receive time, and the note says what the device claimed."""
    p = await people(api)
    pid = p["patient"]["id"]
    dev = await provision(api, p["admin"], pid)
    then = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)  # beyond the 7-day clock sanity
    await post(api, dev["token"], 1, {"heart_rate": 64}, then)
    day = then.date()
    status, body, _ = await get(api, f"/fhir/Observation?date=ge{day}&date=lt{day + timedelta(days=1)}",
                                p["patient_token"])
    assert status == 200 and body["entry"] == []  # not at the time the device claimed
    (obs,) = [e["resource"] for e in validate((await get(api, "/fhir/Observation", p["patient_token"]))[1])["entry"]]
    assert obs["effectiveDateTime"] == obs["issued"] and obs["subject"] == {"reference": f"Patient/{pid}"}
    assert "device clock" in obs["note"][0]["text"] and then.isoformat() in obs["note"][0]["text"]
