"""A real FHIR client library (fhirpy's AsyncFHIRClient) against the running server over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fhirpy import AsyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from tests.support.fhir import validate
from tests.support.iot import people, provision


async def test_fhirpy_reads_metadata_pages_observations_and_reads_a_patient(api):
    p = await people(api)
    pid = p["patient"]["id"]
    dev = await provision(api, p["admin"], pid)
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(5):
        status, out = await api.call("POST", "/api/iot/data", dev["token"], json={
            "seq": i + 1, "ts": (now - timedelta(minutes=5 - i)).isoformat(),
            "readings": {"heart_rate": 70 + i, "spo2": 95 + i % 3}})
        assert status == 200 and out["status"] == "accepted"
    client = AsyncFHIRClient(f"{api.base_url}/fhir", authorization=f"Bearer {p['doctor_token']}")

    metadata = await client.execute("metadata", method="get")
    assert validate(metadata)["resourceType"] == "CapabilityStatement"

    # 10 Observations, 3 a page: fhirpy follows `next` four times
    search = client.resources("Observation").search(patient=pid).sort("-date").limit(3)
    found = await search.fetch_all()
    assert len(found) == 10 and len({o.id for o in found}) == 10
    times = [o["effectiveDateTime"] for o in found]
    assert times == sorted(times, reverse=True)
    assert [o["valueQuantity"]["value"] for o in found if o["code"]["coding"][0]["code"] == "8867-4"] == \
        [74, 73, 72, 71, 70]
    for o in found:
        validate(o.serialize())
    spo2 = await client.resources("Observation").search(patient=pid, code="http://loinc.org|2708-6").fetch_all()
    assert len(spo2) == 5
    one = await client.get("Observation", found[0].id)
    assert one["id"] == found[0].id and one["valueQuantity"] == found[0]["valueQuantity"]

    patient = await client.reference("Patient", pid).to_resource()
    assert validate(patient.serialize())["id"] == pid
    by_identifier = await client.resources("Patient").search(identifier="urn:fadjma:username|pat1").get()
    assert by_identifier.id == pid

    # the client sees the server's errors as FHIR errors
    stranger = AsyncFHIRClient(f"{api.base_url}/fhir", authorization=f"Bearer {p['stranger_token']}")
    with pytest.raises(ResourceNotFound):
        await stranger.reference("Patient", pid).to_resource()
    with pytest.raises(OperationOutcome) as exc:
        await client.resources("Observation").search(patient=pid, date="ge-yesterday").fetch()
    assert exc.value.resource["issue"][0]["code"] == "invalid"
