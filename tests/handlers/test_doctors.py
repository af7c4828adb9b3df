"""GET /api/doctors/: every signed-in user sees active doctors (id, name, email, speciality), by speciality."""

from __future__ import annotations

import pytest

from server.keys import DB


@pytest.fixture
async def doctors(api, app):
    made = {}
    for username, first, last, speciality, email in (
            ("dr.ndiaye", "Aminata", "Ndiaye", "Cardiologie", "a.ndiaye@example.org"),
            ("dr.ba", "", "", "Pédiatrie", None),
            ("dr.cisse", "Moussa", "Cissé", "cardiologie", "m.cisse@example.org"),
            ("dr.gone", "Old", "Doctor", "Cardiologie", None)):
        made[username] = (await api.create_staff(username, "doctor", speciality=speciality, first_name=first,
                                                 last_name=last, email=email))["id"]
    await app[DB]["users"].update_one({"_id": made["dr.gone"]}, {"$set": {"is_active": False}})
    return made


def entry(doctors, username, name, email, speciality) -> dict:
    return {"id": doctors[username], "name": name, "email": email, "speciality": speciality}


@pytest.mark.parametrize("role", ["patient", "doctor", "pharmacist", "admin"])
async def test_any_signed_in_user_lists_active_doctors_by_name(api, doctors, role):
    _, token = await api.user(f"asker.{role}", role)
    status, out = await api.call("GET", "/api/doctors/", token)
    assert status == 200, out
    asker = [d["name"] for d in out if d["name"] == "asker.doctor"]
    assert [d for d in out if d["name"] != "asker.doctor"] == [
        entry(doctors, "dr.ndiaye", "Aminata Ndiaye", "a.ndiaye@example.org", "Cardiologie"),
        entry(doctors, "dr.ba", "dr.ba", None, "Pédiatrie"),
        entry(doctors, "dr.cisse", "Moussa Cissé", "m.cisse@example.org", "cardiologie"),
    ]
    assert asker == (["asker.doctor"] if role == "doctor" else [])


async def test_filter_by_speciality_ignores_case_and_needs_the_whole_word(api, doctors):
    _, token = await api.user("pat", "patient")
    status, out = await api.call("GET", "/api/doctors/?speciality=CARDIOLOGIE", token)
    assert status == 200
    assert [d["id"] for d in out] == [doctors["dr.ndiaye"], doctors["dr.cisse"]]
    status, out = await api.call("GET", "/api/doctors/?speciality=cardio", token)
    assert (status, out) == (200, [])


async def test_bad_query_and_no_token(api, doctors):
    _, token = await api.user("pat", "patient")
    status, out = await api.call("GET", "/api/doctors/?speciality=", token)
    assert status == 400 and out["error"]["details"][0]["field"] == "speciality"
    status, out = await api.call("GET", "/api/doctors/?sort=name", token)
    assert status == 400 and out["error"]["details"][0]["field"] == "sort"
    status, out = await api.call("GET", "/api/doctors/")
    assert (status, out["error"]["code"]) == (401, "token_missing")
