"""GET /api/people/names: display names only for people the caller has a care relation with
(grant, request, prescription, chat, care unit); an unrelated id gets nothing, existing or not."""

from __future__ import annotations

import pytest

from server.keys import CARE_UNITS
from tests.support.helpers import world

pytestmark = pytest.mark.ward


@pytest.fixture
async def w(api):
    w = await world(api)
    yield w
    await w.close()


async def names(w, who: str, *people: str) -> dict:
    ids = ",".join(w.ids.get(p, p) for p in people)
    status, out = await w.call(who, "GET", f"/api/people/names?ids={ids}")
    assert status == 200, out
    return {next((k for k, v in w.ids.items() if v == i), i): n for i, n in out["names"].items()}


async def test_unrelated_people_get_nothing(w):
    everyone = ("pat", "other", "doc", "stranger", "ph1", "ph2", "admin", "no-such-id")
    assert await names(w, "pat", *everyone) == {"pat": "pat"}
    assert await names(w, "doc", *everyone) == {"doc": "doc"}
    assert await names(w, "ph1", *everyone) == {"ph1": "ph1"}
    assert len(await names(w, "admin", *everyone)) == 7  # the admin reads the user list anyway


async def test_a_request_a_grant_a_prescription_and_a_chat_make_a_relation(w):
    status, req = await w.call("doc", "POST", "/api/access-requests", {
        "patient_id": w.ids["pat"], "reason": "follow-up", "scopes": ["prescriptions"], "duration_days": 5})
    assert status == 201
    assert await names(w, "pat", "doc", "stranger") == {"doc": "doc"}      # who asks is named
    assert await names(w, "doc", "pat", "other") == {"pat": "pat"}
    await w.call("pat", "POST", f"/api/access-requests/{req['id']}/approve")
    _, rx = await w.call("doc", "POST", "/api/prescriptions", {"patient_id": w.ids["pat"], "medications": [
        {"name": "X", "dose": "1", "frequency": "1", "duration": "1"}]})
    # the pharmacy queue shows every prescription: its doctor and patient are named, nobody else
    assert await names(w, "ph1", "doc", "pat", "stranger", "other") == {"doc": "doc", "pat": "pat"}
    assert await names(w, "doc", "ph1") == {}
    status, _ = await w.call("ph1", "POST", "/api/chat/conversations/",
                             {"with_user_id": w.ids["doc"], "prescription_id": rx["id"]})
    assert status == 201
    assert await names(w, "doc", "ph1", "ph2") == {"ph1": "ph1"}          # a conversation relates them
    assert await names(w, "stranger", "pat", "doc", "ph1") == {}


async def test_care_unit_staff_and_patients_know_each_other(w, app):
    unit = await app[CARE_UNITS].create("Ward N", "ward", w.ids["admin"])
    await app[CARE_UNITS].add_staff(unit["_id"], w.ids["stranger"])
    await app[CARE_UNITS].add_patient(unit["_id"], w.ids["other"])
    assert await names(w, "stranger", "other", "pat") == {"other": "other"}
    assert await names(w, "other", "stranger", "doc") == {"stranger": "stranger"}


async def test_bad_query(w):
    status, out = await w.call("pat", "GET", "/api/people/names")
    assert status == 400 and out["error"]["details"][0]["field"] == "ids"
    assert (await w.call(None, "GET", "/api/people/names?ids=x"))[0] == 401


async def test_an_appointment_relates_the_patient_and_the_doctor(w):
    from datetime import timedelta

    from tests.support.alerting import START
    at = lambda h: (START + timedelta(hours=h)).isoformat()  # noqa: E731 - the ward's FakeClock start
    status, slot = await w.call("stranger", "POST", "/api/slots/", {"start": at(2), "end": at(3)})
    assert status == 201, slot
    assert await names(w, "pat", "stranger") == {}
    status, _ = await w.call("pat", "POST", "/api/slots/reserve/",
                             {"slot_id": slot["id"], "doctor_id": w.ids["stranger"]})
    assert status == 201
    assert await names(w, "pat", "stranger") == {"stranger": "stranger"}
    assert await names(w, "stranger", "pat", "other") == {"pat": "pat"}
