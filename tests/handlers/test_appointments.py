"""Slots and appointments end to end: creation rules, filters, the reservation race, cancellation,
events and inbox items to the other party, and reminders sent once by two processes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from server.keys import APPOINTMENTS, CLOCK, SIO
from tests.support.alerting import START
from tests.support.helpers import World, settle

pytestmark = pytest.mark.ward  # FakeClock at START (2026-03-01 08:00 UTC), long-lived tokens


@pytest.fixture
def settings(settings):
    # Reminders one hour ahead; the background loop never runs by itself: the tests drive passes.
    # No REST write limit: the racing test sends 100 creations in about a second (limits are
    # tested in tests/handlers/test_rate_limits.py).
    limits = {**settings.rate_limits, "RATE_LIMIT_REST_WRITES": ""}
    return dataclasses.replace(settings, appointment_reminder_s=3600, reminder_tick_s=3600.0, rate_limits=limits)


@pytest.fixture
async def w(api):
    cast = World(api)  # only the people these tests need: every account costs an argon2 hash
    for name, role in (("pat", "patient"), ("other", "patient"), ("doc", "doctor"), ("stranger", "doctor")):
        await cast.add(name, role)
    derm = await api.create_staff("derm", "doctor", speciality="Dermatology")
    cast.ids["derm"], cast.tokens["derm"] = derm["id"], (await api.login("derm"))["access"]
    yield cast
    await cast.close()


def at(hours: float, minutes: int = 0) -> str:
    """An ISO time `hours` after the FakeClock's start."""
    return (START + timedelta(hours=hours, minutes=minutes)).isoformat()


async def slot(w, doctor: str, start_h: float, end_h: float) -> dict:
    status, body = await w.call(doctor, "POST", "/api/slots/", {"start": at(start_h), "end": at(end_h)})
    assert status == 201, body
    return body


async def test_create_slot_rules(w):
    status, body = await w.call("doc", "POST", "/api/slots/", {"start": at(2), "end": at(3)})
    assert status == 201 and body["message"] == "Slot crée avec succès" and body["status"] == "open"
    assert body["start_time"] == at(2) and body["doctor_id"] == w.ids["doc"]
    # the earlier field names are accepted too
    status, _ = await w.call("doc", "POST", "/api/slots/", {"start_time": at(5), "end_time": at(6)})
    assert status == 201
    bad = [
        ({"start": at(4), "end": at(3.5)}, "end must be after start"),
        ({"start": at(4), "end": at(4)}, "end must be after start"),
        ({"start": at(4), "end": at(17)}, "at most 12 hours"),
        ({"start": "2026-03-01T12:00:00", "end": "2026-03-01T13:00:00"}, "time zone"),
        ({"start": at(4)}, "Field required"),
        ({"start": at(4), "end": at(5), "room": 3}, "Extra inputs"),
        ({"start": "tomorrow", "end": at(5)}, "datetime"),
    ]
    for payload, why in bad:
        status, body = await w.call("doc", "POST", "/api/slots/", payload)
        assert status == 400 and body["error"]["code"] == "invalid", payload
        assert why in str(body["error"]["details"]), (payload, body)
    status, body = await w.call("doc", "POST", "/api/slots/", {"start": at(-1), "end": at(1)})
    assert status == 400 and body["error"]["details"][0]["field"] == "start"
    # overlap with the doctor's own slot, not with another doctor's
    status, body = await w.call("doc", "POST", "/api/slots/", {"start": at(2, 30), "end": at(3, 30)})
    assert status == 409 and body["error"]["code"] == "slot_overlap"
    assert (await w.call("doc", "POST", "/api/slots/", {"start": at(3), "end": at(4)}))[0] == 201  # touching: fine
    assert (await w.call("stranger", "POST", "/api/slots/", {"start": at(2), "end": at(3)}))[0] == 201
    for who in ("pat", "other"):
        assert (await w.call(who, "POST", "/api/slots/", {"start": at(8), "end": at(9)}))[0] == 403
    assert (await w.call(None, "POST", "/api/slots/", {"start": at(8), "end": at(9)}))[0] == 401


async def test_overlapping_creations_racing_leave_one_slot(w):
    # Twenty rounds: one interleaving in about twenty (a slot cancelled by a rival its own read
    # had not seen yet) opened two slots before, so a single round rarely showed it.
    rounds = 20
    for r in range(rounds):
        tries = [{"start": at(10 + 2 * r, m), "end": at(11 + 2 * r, m)} for m in (0, 10, 20, 30, 40)]
        results = await asyncio.gather(*(w.call("doc", "POST", "/api/slots/", t) for t in tries))
        assert sorted(s for s, _ in results).count(201) == 1, (r, results)
        assert all(s == 409 and b["error"]["code"] == "slot_overlap" for s, b in results if s != 201)
    _, listed = await w.call("pat", "GET", f"/api/slots/available/?doctor_id={w.ids['doc']}")
    assert len(listed) == rounds


async def test_available_slots_and_filters(w, app):
    a = await slot(w, "doc", 2, 3)
    b = await slot(w, "doc", 26, 27)  # the next day
    c = await slot(w, "derm", 4, 5)
    status, listed = await w.call("pat", "GET", "/api/slots/available/")
    assert status == 200 and [s["id"] for s in listed] == [a["id"], c["id"], b["id"]]  # by start time
    first = listed[0]
    assert set(first) == {"id", "start_time", "end_time", "doctor", "status"}
    assert first["doctor"] == {"id": w.ids["doc"], "name": "doc", "speciality": "cardiology"}
    ids = lambda rows: [r["id"] for r in rows]  # noqa: E731
    assert ids((await w.call("pat", "GET", f"/api/slots/available/?doctor_id={w.ids['derm']}"))[1]) == [c["id"]]
    assert ids((await w.call("pat", "GET", "/api/slots/available/?speciality=dermatology"))[1]) == [c["id"]]
    assert ids((await w.call("pat", "GET", "/api/slots/available/?speciality=Cardiology"))[1]) == [a["id"], b["id"]]
    assert ids((await w.call("pat", "GET", "/api/slots/available/?date=2026-03-02"))[1]) == [b["id"]]
    # the date is a day in the patient's time zone: in Tokyo (UTC+9) 1 March ends at 15:00 UTC
    assert (await w.call("pat", "PUT", "/api/me/timezone", {"timezone": "Asia/Tokyo"}))[0] == 200
    assert ids((await w.call("pat", "GET", "/api/slots/available/?date=2026-03-01"))[1]) == [a["id"], c["id"]]
    assert ids((await w.call("pat", "GET", "/api/slots/available/?date=2026-03-02"))[1]) == [b["id"]]
    status, body = await w.call("pat", "GET", "/api/slots/available/?date=2026-13-01")
    assert status == 400 and body["error"]["details"][0]["field"] == "date"
    assert (await w.call("pat", "GET", "/api/slots/available/?colour=red"))[0] == 400
    # past slots are never offered
    app[CLOCK].advance(3 * 3600)
    assert ids((await w.call("pat", "GET", "/api/slots/available/"))[1]) == [c["id"], b["id"]]
    for who in ("doc", "stranger"):
        assert (await w.call(who, "GET", "/api/slots/available/"))[0] == 403


async def test_reserve_race_one_winner_and_the_other_gets_409(w, app):
    await w.add("third", "patient")
    s = await slot(w, "doc", 2, 3)
    body = {"slot_id": s["id"], "doctor_id": w.ids["doc"]}
    results = await asyncio.gather(*(w.call(p, "POST", "/api/slots/reserve/", body) for p in ("pat", "other", "third")))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 409, 409], results
    assert {b["error"]["code"] for st, b in results if st == 409} == {"slot_taken"}
    winner = next(b for st, b in results if st == 201)
    assert winner["message"] == "Slot réservé avec succès" and winner["appointment"]["status"] == "booked"
    _, listed = await w.call("doc", "GET", "/api/appointments/doctor/")
    assert [a["id"] for a in listed] == [winner["appointment"]["id"]]
    assert (await w.call("pat", "GET", "/api/slots/available/"))[1] == []


async def test_reserve_bad_input(w, app):
    s = await slot(w, "doc", 2, 3)
    cases = [
        ({"slot_id": s["id"], "doctor_id": w.ids["stranger"]}, 404, "slot_not_found"),
        ({"slot_id": "nope", "doctor_id": w.ids["doc"]}, 404, "slot_not_found"),
        ({"slot_id": s["id"]}, 400, "invalid"),
        ({"slot_id": 1, "doctor_id": 1}, 404, "slot_not_found"),  # the earlier numeric ids parse
        ({"slot_id": s["id"], "doctor_id": w.ids["doc"], "x": 1}, 400, "invalid"),
    ]
    for body, status, code in cases:
        got = await w.call("pat", "POST", "/api/slots/reserve/", body)
        assert got[0] == status and got[1]["error"]["code"] == code, (body, got)
    app[CLOCK].advance(2 * 3600 + 1)  # the slot has started
    got = await w.call("pat", "POST", "/api/slots/reserve/", {"slot_id": s["id"], "doctor_id": w.ids["doc"]})
    assert got[0] == 409 and got[1]["error"]["code"] == "slot_past"


async def test_book_cancel_events_inbox_and_lists(w, app):
    devices = {n: await w.device(n) for n in ("pat", "doc", "other", "stranger")}
    s = await slot(w, "doc", 5, 6)
    _, booked = await w.call("pat", "POST", "/api/slots/reserve/", {"slot_id": s["id"], "doctor_id": w.ids["doc"]})
    appt = booked["appointment"]
    await settle(app[SIO], devices, w.ids)
    assert devices["doc"].inbox_types() == ["appointment:booked"] and devices["pat"].inbox_types() == []
    assert devices["doc"].new[0]["link"] == {"type": "appointment", "id": appt["id"]}
    assert [e["id"] for e in devices["pat"].of("appointment:booked")] == [appt["id"]]
    assert len(devices["doc"].of("appointment:booked")) == 1
    assert all(not devices[n].new and not [e for e in devices[n].names() if e.startswith("appointment:")]
               for n in ("other", "stranger"))

    _, mine = await w.call("doc", "GET", "/api/appointments/doctor/")
    assert [(a["id"], a["patient"], a["slot"]) for a in mine] == [
        (appt["id"], {"id": w.ids["pat"], "name": "pat"}, {"id": s["id"], "start_time": at(5), "end_time": at(6)})]
    _, theirs = await w.call("pat", "GET", "/api/appointments/patient/")
    assert theirs[0]["doctor"] == {"id": w.ids["doc"], "name": "doc", "speciality": "cardiology"}
    assert (await w.call("other", "GET", "/api/appointments/patient/"))[1] == []
    assert (await w.call("stranger", "GET", "/api/appointments/doctor/"))[1] == []

    url = f"/api/appointments/{appt['id']}/cancel/"
    assert (await w.call("pat", "POST", url, {}))[0] == 400  # a reason is required
    assert (await w.call("pat", "POST", url, {"reason": ""}))[0] == 400
    for outsider in ("other", "stranger"):
        assert (await w.call(outsider, "POST", url, {"reason": "x"}))[0] == 404
    status, cancelled = await w.call("pat", "POST", url, {"reason": "Je suis guéri"})
    assert status == 200 and cancelled["status"] == "cancelled" and cancelled["cancelled_by"] == "patient"
    again = await w.call("doc", "POST", url, {"reason": "x"})
    assert again[0] == 409 and again[1]["error"]["code"] == "already_cancelled"
    await settle(app[SIO], devices, w.ids)
    assert devices["doc"].inbox_types() == ["appointment:booked", "appointment:cancelled"]
    assert "Je suis guéri" in devices["doc"].new[1]["body"]["fr"]
    assert "2026-03-01 13:00 (Africa/Dakar)" in devices["doc"].new[1]["body"]["en"]  # the default zone
    assert devices["pat"].inbox_types() == []
    assert len(devices["pat"].of("appointment:cancelled")) == len(devices["doc"].of("appointment:cancelled")) == 1
    # the patient's cancellation frees the slot; the lists keep it only on request
    assert [x["id"] for x in (await w.call("other", "GET", "/api/slots/available/"))[1]] == [s["id"]]
    assert (await w.call("doc", "GET", "/api/appointments/doctor/"))[1] == []
    _, every = await w.call("doc", "GET", "/api/appointments/doctor/?status=all")
    assert [(a["id"], a["status"], a["cancel_reason"]) for a in every] == [(appt["id"], "cancelled", "Je suis guéri")]
    assert (await w.call("doc", "GET", "/api/appointments/doctor/?status=maybe"))[0] == 400

    # the doctor cancels the next booking: the patient is told, the slot is not offered again
    _, second = await w.call("other", "POST", "/api/slots/reserve/", {"slot_id": s["id"], "doctor_id": w.ids["doc"]})
    status, _ = await w.call("doc", "POST", f"/api/appointments/{second['appointment']['id']}/cancel/",
                             {"reason": "Urgence au bloc"})
    assert status == 200
    await settle(app[SIO], devices, w.ids)
    assert devices["other"].inbox_types() == ["appointment:cancelled"]
    assert devices["doc"].inbox_types() == ["appointment:booked", "appointment:cancelled", "appointment:booked"]
    assert (await w.call("pat", "GET", "/api/slots/available/"))[1] == []


async def test_cannot_cancel_once_started(w, app):
    s = await slot(w, "doc", 1, 2)
    _, booked = await w.call("pat", "POST", "/api/slots/reserve/", {"slot_id": s["id"], "doctor_id": w.ids["doc"]})
    app[CLOCK].advance(3600)
    got = await w.call("pat", "POST", f"/api/appointments/{booked['appointment']['id']}/cancel/", {"reason": "late"})
    assert got[0] == 409 and got[1]["error"]["code"] == "already_started"


async def test_reminder_once_with_two_processes(w, app, aiohttp_client, settings, clock):
    """Two apps on one database (two server processes) run reminder passes at the same time."""
    from server.app import create_app
    second = await aiohttp_client(create_app(settings, clock))
    devices = {n: await w.device(n) for n in ("pat", "doc", "other")}
    assert (await w.call("pat", "PUT", "/api/me/timezone", {"timezone": "Europe/Paris"}))[0] == 200
    soon = await slot(w, "doc", 3, 4)          # reminder due at +2 h
    later = await slot(w, "doc", 30, 31)       # reminder due at +29 h
    early = await slot(w, "doc", 0.5, 1.5)     # booked within the hour: no reminder
    for s, who in ((soon, "pat"), (later, "other"), (early, "pat")):
        assert (await w.call(who, "POST", "/api/slots/reserve/", {"slot_id": s["id"], "doctor_id": w.ids["doc"]}))[0] \
            == 201
    services = (app[APPOINTMENTS], second.app[APPOINTMENTS])
    assert [await s.remind_due() for s in services] == [[], []]  # nothing due yet
    app[CLOCK].advance(2 * 3600)
    sent = await asyncio.gather(*(s.remind_due() for s in services), *(s.remind_due() for s in services))
    assert sum(len(x) for x in sent) == 1
    # Either app may have won the claim, and each emits only to its own sockets (no Redis here): the
    # stored inbox shows the reminder whichever sent it.
    types = {n: [i["type"] for i in reversed((await w.call(n, "GET", "/api/notifications"))[1]["items"])]
             for n in ("pat", "doc", "other")}
    assert types == {"pat": ["appointment:reminder"], "doc": ["appointment:booked"] * 3 + ["appointment:reminder"],
                     "other": []}
    _, pat_inbox = await w.call("pat", "GET", "/api/notifications")
    assert "Rendez-vous avec doc le 2026-03-01 12:00 (Europe/Paris)" in pat_inbox["items"][0]["body"]["fr"]
    await settle(app[SIO], devices, w.ids)
    assert len(devices["pat"].of("appointment:reminder")) <= 1 and devices["other"].new == []
    # a cancelled appointment is never reminded
    _, theirs = await w.call("other", "GET", "/api/appointments/patient/")
    await w.call("other", "POST", f"/api/appointments/{theirs[0]['id']}/cancel/", {"reason": "no"})
    app[CLOCK].advance(30 * 3600)
    assert sum([len(await s.remind_due()) for s in services]) == 0
