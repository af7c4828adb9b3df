"""Treatments end to end: the earlier CRUD shape, who may do what, time zones, intake reminders
once across two apps, the patient's answers and adherence."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from server.keys import CLOCK, INTAKES, SIO
from tests.support.alerting import START
from tests.support.helpers import World, settle

pytestmark = pytest.mark.ward  # FakeClock at START = 2026-03-01 08:00 UTC (a Sunday), long-lived tokens

PARA = {"medocs_name": "Paracétamol", "frequency": 3, "duration_days": 7}
EARLIER_KEYS = {"id", "medocs_name", "frequency", "started_at", "duration_days", "end", "jours_restants"}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, reminder_tick_s=3600.0)  # the tests drive the passes


@pytest.fixture
async def w(api):
    cast = World(api)
    for name, role in (("pat", "patient"), ("other", "patient"), ("doc", "doctor"), ("stranger", "doctor"),
                       ("ph1", "pharmacist")):
        await cast.add(name, role)
    yield cast
    await cast.close()


def iso(hours: float = 0) -> str:
    return (START + timedelta(hours=hours)).isoformat()


async def test_crud_in_the_earlier_shape(w, app):
    status, t = await w.call("pat", "POST", "/api/treatments/", PARA)
    assert status == 201 and EARLIER_KEYS <= set(t)
    assert (t["medocs_name"], t["frequency"], t["duration_days"], t["jours_restants"]) == ("Paracétamol", 3, 7, 7)
    assert t["started_at"] == iso() and t["end"] == iso(7 * 24) and t["timezone"] == "Africa/Dakar"
    assert t["intakes_total"] == 21 and t["next_intake_at"] == iso(0)  # 08:00 in Dakar (UTC+0): now
    assert [x["id"] for x in (await w.call("pat", "GET", "/api/treatments/"))[1]] == [t["id"]]
    assert (await w.call("pat", "GET", f"/api/treatments/{t['id']}/"))[1] == t
    app[CLOCK].advance(2 * 86400 + 3600)
    assert (await w.call("pat", "GET", f"/api/treatments/{t['id']}/"))[1]["jours_restants"] == 5
    status, changed = await w.call("pat", "PUT", f"/api/treatments/{t['id']}/",
                                   {"medocs_name": "Ibuprofène", "frequency": 2, "duration_days": 5})
    assert status == 200 and changed["medocs_name"] == "Ibuprofène" and changed["end"] == iso(5 * 24)
    assert changed["jours_restants"] == 3 and changed["intakes_total"] == 10
    assert changed["next_intake_at"] == iso(2 * 24 + 12)  # today 20:00
    assert (await w.call("pat", "GET", "/api/treatments/?active=true"))[1][0]["id"] == t["id"]
    app[CLOCK].advance(4 * 86400)
    assert (await w.call("pat", "GET", "/api/treatments/?active=true"))[1] == []
    assert (await w.call("pat", "GET", "/api/treatments/?active=false"))[1][0]["jours_restants"] == 0
    assert (await w.call("pat", "DELETE", f"/api/treatments/{t['id']}/"))[0] == 204
    assert (await w.call("pat", "GET", f"/api/treatments/{t['id']}/"))[0] == 404
    assert (await w.call("pat", "GET", "/api/treatments/"))[1] == []


async def test_bad_input(w):
    bad = [{**PARA, "frequency": 0}, {**PARA, "frequency": 25}, {**PARA, "duration_days": 0},
           {**PARA, "duration_days": 366}, {**PARA, "medocs_name": ""}, {**PARA, "dose": "1g"},
           {**PARA, "started_at": "2026-03-01T10:00:00"}, {"medocs_name": "X"}, {**PARA, "frequency": "often"}]
    for body in bad:
        status, answer = await w.call("pat", "POST", "/api/treatments/", body)
        assert status == 400 and answer["error"]["details"], body
    _, t = await w.call("pat", "POST", "/api/treatments/", PARA)
    for body in ({}, {"frequency": None}, {"frequency": 0}, {"colour": "red"}):
        assert (await w.call("pat", "PUT", f"/api/treatments/{t['id']}/", body))[0] == 400, body
    status, answer = await w.call("pat", "POST", "/api/treatments/", {**PARA, "patient_id": w.ids["other"]})
    assert status == 404 and answer["error"]["code"] == "patient_not_found"
    assert (await w.call("pat", "GET", "/api/treatments/?active=maybe"))[0] == 400
    assert (await w.call("pat", "GET", "/api/treatments/nope/"))[0] == 404


async def test_who_may_do_what(w, app):
    devices = {n: await w.device(n) for n in ("pat", "doc")}
    _, own = await w.call("pat", "POST", "/api/treatments/", PARA)
    pat = w.ids["pat"]
    # without a grant a doctor sees nothing and adds nothing
    assert (await w.call("doc", "POST", "/api/treatments/", {**PARA, "patient_id": pat}))[1]["error"]["code"] == \
        "no_grant"
    assert (await w.call("doc", "GET", f"/api/treatments/{own['id']}/"))[0] == 404
    await w.grant("doc", "pat", scopes=("prescriptions",))
    status, answer = await w.call("doc", "POST", "/api/treatments/", PARA)  # no patient named
    assert status == 400 and answer["error"]["details"][0]["field"] == "patient_id"
    status, added = await w.call("doc", "POST", "/api/treatments/", {**PARA, "medocs_name": "Amoxicilline",
                                                                      "patient_id": pat})
    assert status == 201 and added["created_by"] == w.ids["doc"] and added["patient_id"] == pat
    _, listed = await w.call("doc", "GET", f"/api/treatments/?patient_id={pat}")
    assert {x["id"] for x in listed} == {own["id"], added["id"]}
    assert (await w.call("doc", "GET", "/api/treatments/"))[0] == 400  # a doctor names the patient
    # the doctor changes what they added, not what the patient added; the patient changes both
    assert (await w.call("doc", "PUT", f"/api/treatments/{added['id']}/", {"frequency": 2}))[0] == 200
    got = await w.call("doc", "PUT", f"/api/treatments/{own['id']}/", {"frequency": 2})
    assert got[0] == 403 and got[1]["error"]["code"] == "not_owner"
    assert (await w.call("doc", "DELETE", f"/api/treatments/{own['id']}/"))[0] == 403
    assert (await w.call("pat", "PUT", f"/api/treatments/{added['id']}/", {"frequency": 1}))[0] == 200
    # others: another patient and a doctor without a grant get 404, a pharmacist 403
    for who, status in (("other", 404), ("stranger", 404), ("ph1", 403)):
        assert (await w.call(who, "GET", f"/api/treatments/{own['id']}/"))[0] == status, who
        assert (await w.call(who, "PUT", f"/api/treatments/{own['id']}/", {"frequency": 1}))[0] == status, who
        assert (await w.call(who, "DELETE", f"/api/treatments/{own['id']}/"))[0] == status, who
    assert (await w.call("other", "GET", "/api/treatments/"))[1] == []
    assert (await w.call("stranger", "GET", f"/api/treatments/?patient_id={pat}"))[0] == 403
    assert (await w.call(None, "GET", "/api/treatments/"))[0] == 401
    await settle(app[SIO], devices, w.ids)
    assert devices["pat"].inbox_types() == ["access_request:new", "treatment:created"]
    assert "Amoxicilline" in devices["pat"].new[1]["body"]["fr"]
    assert [e["medocs_name"] for e in devices["pat"].of("treatment:created")] == ["Paracétamol", "Amoxicilline"]
    assert len(devices["pat"].of("treatment:updated")) == 2


async def test_end_across_dst_in_the_patients_zone(w):
    assert (await w.call("pat", "PUT", "/api/me/timezone", {"timezone": "Europe/Paris"}))[0] == 200
    status, t = await w.call("pat", "POST", "/api/treatments/",
                             {**PARA, "started_at": "2026-03-28T10:00:00+01:00"})  # DST starts on the 29th
    assert status == 201 and t["end"] == "2026-04-04T08:00:00+00:00"  # 10:00 in Paris, now UTC+2
    assert t["timezone"] == "Europe/Paris" and t["intakes_total"] == 21
    for zone in ("Mars/Olympus", "", "UTC+1"):
        assert (await w.call("pat", "PUT", "/api/me/timezone", {"timezone": zone}))[0] == 400, zone
    _, me = await w.call("pat", "GET", "/api/me")
    assert me["profile"]["timezone"] == "Europe/Paris"


async def test_intake_reminders_once_across_two_apps(w, app, aiohttp_client, settings, clock):
    from server.app import create_app
    second = await aiohttp_client(create_app(settings, clock))
    services = (app[INTAKES], second.app[INTAKES])
    devices = {n: await w.device(n) for n in ("pat", "other")}
    await w.call("pat", "PUT", "/api/me/timezone", {"timezone": "Europe/Paris"})
    # from 09:00 Paris on 1 March, twice a day for 2 days: 20:00, then 08:00 and 20:00, then 08:00 on the 3rd
    _, t = await w.call("pat", "POST", "/api/treatments/", {**PARA, "frequency": 2, "duration_days": 2})
    assert t["intakes_total"] == 4 and t["next_intake_at"] == iso(11)

    async def passes() -> int:
        sent = await asyncio.gather(*(s.remind_due() for s in services for _ in range(2)))
        return sum(len(x) for x in sent)

    assert await passes() == 0
    clock.advance(11 * 3600)                      # 20:00 Paris
    assert await passes() == 1
    assert await passes() == 0
    clock.advance(12 * 3600 + 600)                # 08:10 Paris on the 2nd
    assert await passes() == 1
    clock.advance(24 * 3600)                      # 08:10 on the 3rd: 20:00 on the 2nd was missed (> 4 h ago)
    assert await passes() == 1
    clock.advance(86400)
    assert await passes() == 0                    # the course is over
    # Either app may have won each claim, and each app emits only to its own sockets (no Redis here):
    # the stored inbox is the one place that shows every reminder.
    _, inbox = await w.call("pat", "GET", "/api/notifications")
    due = [n["data"] for n in reversed(inbox["items"])]
    assert [d["local_time"] for d in due] == ["20:00", "08:00", "08:00"]
    assert [d["due_at"] for d in due] == [iso(11), iso(23), iso(47)]
    assert {n["type"] for n in inbox["items"]} == {"treatment:intake_due"}
    await settle(app[SIO], devices, w.ids)
    assert len(devices["pat"].of("treatment:intake_due")) == len(devices["pat"].new) <= 3
    assert devices["other"].new == []


async def test_answers_and_adherence(w, app):
    clock = app[CLOCK]
    _, t = await w.call("pat", "POST", "/api/treatments/", {**PARA, "frequency": 2, "duration_days": 2})
    url = f"/api/treatments/{t['id']}/intakes/"
    # scheduled (Dakar = UTC): 08:00 (now) and 20:00 on the 1st, 08:00 and 20:00 on the 2nd
    got = await w.call("pat", "POST", url, {"due_at": iso(12), "status": "taken"})
    assert got[0] == 400 and got[1]["error"]["details"][0]["field"] == "due_at"  # not due for 12 h
    clock.advance(12 * 3600)                                    # 20:00: 08:00 was never answered
    assert [x["due_at"] for x in await app[INTAKES].remind_due()] == [iso(12)]
    assert (await w.call("pat", "POST", url, {"due_at": iso(13), "status": "taken"}))[0] == 400  # not scheduled
    assert (await w.call("pat", "POST", url, {"due_at": iso(12), "status": "eaten"}))[0] == 400
    status, first = await w.call("pat", "POST", url, {"due_at": iso(12), "status": "taken"})
    assert status == 200 and first["status"] == "taken" and first["reminded_at"] == iso(12)
    assert first["id"] == f"{t['id']}:{int(START.timestamp()) + 43200}"
    assert (await w.call("pat", "POST", url, {"due_at": iso(12), "status": "taken"}))[0] == 200  # the same again
    got = await w.call("pat", "POST", url, {"due_at": iso(12), "status": "skipped"})
    assert got[0] == 409 and got[1]["error"]["code"] == "already_answered"
    for who, status in (("doc", 403), ("other", 404), ("ph1", 403)):
        assert (await w.call(who, "POST", url, {"due_at": iso(12), "status": "taken"}))[0] == status
    clock.advance(12 * 3600)                                    # 08:00 on the 2nd: answered without a reminder
    assert (await w.call("pat", "POST", url, {"due_at": iso(24), "status": "skipped", "note": "nausée"}))[0] == 200
    clock.advance(12 * 3600 + 1800)                             # 20:30 on the 2nd
    _, states = await w.call("pat", "GET", url)
    assert [(s["due_at"], s["status"]) for s in states] == [
        (iso(0), "missed"), (iso(12), "taken"), (iso(24), "skipped"), (iso(36), "pending")]
    status, report = await w.call("pat", "GET", f"/api/treatments/{t['id']}/adherence/")
    assert status == 200 and report == {"treatment_id": t["id"], "due": 4, "taken": 1, "skipped": 1, "missed": 1,
                                        "pending": 1, "scheduled_total": 4, "adherence": 0.333}
    await w.grant("doc", "pat", scopes=("prescriptions",))
    assert (await w.call("doc", "GET", f"/api/treatments/{t['id']}/adherence/"))[1] == report
    assert (await w.call("other", "GET", f"/api/treatments/{t['id']}/adherence/"))[0] == 404
    assert (await w.call("stranger", "GET", url))[0] == 404
    assert (await w.call("pat", "GET", f"{url}?since=2026-03-02T00:00:00Z"))[1][0]["due_at"] == iso(24)
    assert (await w.call("pat", "GET", f"{url}?since=yesterday"))[0] == 400


async def test_timezone_change_moves_the_next_intake(w, app):
    _, t = await w.call("pat", "POST", "/api/treatments/", {**PARA, "frequency": 1, "duration_days": 3})
    assert t["next_intake_at"] == iso(0)                        # 08:00 UTC (Dakar): now
    status, body = await w.call("pat", "PUT", "/api/me/timezone", {"timezone": "Asia/Tokyo"})
    assert status == 200 and body == {"timezone": "Asia/Tokyo", "treatments_rescheduled": 1}
    _, moved = await w.call("pat", "GET", f"/api/treatments/{t['id']}/")
    assert moved["timezone"] == "Asia/Tokyo" and moved["next_intake_at"] == iso(15)  # 08:00 in Tokyo = 23:00 UTC
    assert moved["end"] == iso(72)                              # 17:00 Tokyo + 3 days, the same instant here


async def test_time_zone_given_at_registration(api):
    user = await api.register_patient("tz_pat", timezone="Europe/Paris")
    assert user["profile"]["timezone"] == "Europe/Paris"
    status, body = await api.call("POST", "/api/register/", json={
        "username": "tz_bad", "password": "correct-horse-battery", "birth_date": "1980-05-01", "gender": "male",
        "timezone": "Nowhere/Land"})
    assert status == 400 and body["error"]["details"][0]["field"] == "timezone"
    token = (await api.login("tz_pat"))["access"]
    status, t = await api.call("POST", "/api/treatments/", token, json=PARA)
    assert status == 201 and t["timezone"] == "Europe/Paris"


async def test_a_delivered_prescription_creates_its_treatments(w, app):
    await w.grant("doc", "pat")
    _, rx = await w.call("doc", "POST", "/api/prescriptions", {"patient_id": w.ids["pat"], "medications": [
        {"name": "Amoxicilline", "dose": "1g", "frequency": "3 fois par jour", "duration": "7 jours"},
        {"name": "Vitamine D", "dose": "1", "frequency": "1", "duration": "au long cours"}]})
    for name in ("Amoxicilline", "Vitamine D"):
        assert (await w.call("ph1", "POST", "/api/inventory", {"name": name, "quantity": 5}))[0] == 200
    for status in ("validated", "prepared", "ready"):
        assert (await w.call("ph1", "POST", f"/api/prescriptions/{rx['id']}/status", {"status": status}))[0] == 200
        assert (await w.call("pat", "GET", "/api/treatments/"))[1] == []  # not before delivery
    assert (await w.call("ph1", "POST", f"/api/prescriptions/{rx['id']}/status", {"status": "delivered"}))[0] == 200
    _, made = await w.call("pat", "GET", "/api/treatments/")
    assert [(t["medocs_name"], t["frequency"], t["duration_days"], t["prescription_id"], t["created_by"])
            for t in made] == [("Amoxicilline", 3, 7, rx["id"], w.ids["doc"])]
    assert made[0]["started_at"] == iso(0)
