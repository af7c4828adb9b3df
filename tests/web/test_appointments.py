"""Appointments and treatments in the browser, against the real server: a doctor opens slots
(an overlap refused on the form), a patient books one, the doctor's list follows live, a slot
taken first by another patient shows the 409, a cancellation with its reason reaches the doctor
live and offers the slot again; a patient confirms and skips intakes and sees the adherence, a
doctor's addition appears live. Screenshots fr/en desktop/phone with axe."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.web.flows import ensure_grant, token
from tests.web.test_screens import DESKTOP, PHONE, axe_violations

DAY = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()


def pick(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).click()


def open_slot(page: Page, time: str, minutes: int = 30) -> None:
    form = page.get_by_test_id("slot-form")
    form.locator("input[name=day]").fill(DAY)
    form.locator("input[name=time]").fill(time)
    form.locator("input[name=minutes]").fill(str(minutes))
    form.get_by_test_id("slot-create").click()


def test_booking_live_race_and_cancellation(login, http, people, server):
    doctor = login(people["doctor"], **DESKTOP)
    doctor.get_by_role("tab", name="Rendez-vous").click()
    expect(doctor.get_by_test_id("doctor-appointments")).to_contain_text("Rien pour l'instant")
    open_slot(doctor, "10:00")
    expect(doctor.get_by_test_id("toast").filter(has_text="Créneau ouvert")).to_have_count(1)
    open_slot(doctor, "10:15")                                   # overlaps the first: the server's 409, in words
    expect(doctor.get_by_test_id("slot-error")).to_have_text("Ce créneau chevauche un de vos créneaux.")
    open_slot(doctor, "11:00")
    expect(doctor.get_by_test_id("slot-error")).to_have_count(0)

    patient = login(people["patient"], **DESKTOP)
    patient.goto(server.base + "/patient/appointments")
    pick(patient, "Médecin", "Awa Test")
    patient.get_by_test_id("slot-search").locator("input[name=day]").fill(DAY)
    patient.get_by_test_id("slot-search").get_by_role("button", name="Rechercher").click()
    slots = patient.get_by_test_id("slot")
    expect(slots).to_have_count(2)
    expect(slots.first).to_contain_text("Awa Test · cardiology")
    slots.first.get_by_test_id("slot-book").click()
    booked = patient.get_by_test_id("patient-appointments").get_by_test_id("appointment")
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text("avec Awa Test · cardiology")
    expect(slots).to_have_count(1)

    # the doctor's list follows without a reload
    doc_list = doctor.get_by_test_id("doctor-appointments").get_by_test_id("appointment")
    expect(doc_list).to_have_count(1)
    expect(doc_list).to_contain_text("Mariama Patient")

    # another patient takes the 11:00 slot first: the stale list's button shows the 409, the list reloads
    other = token(http, people["patient2"])
    left = http.call("GET", f"/api/slots/available/?date={DAY}", other, expect=200)
    assert len(left) == 1
    http.call("POST", "/api/slots/reserve/", other, {"slot_id": left[0]["id"], "doctor_id": left[0]["doctor"]["id"]},
              expect=201)
    expect(doc_list).to_have_count(2)
    expect(slots).to_have_count(1)        # no event tells this patient about another's booking: a stale list
    slots.first.get_by_test_id("slot-book").click()
    expect(patient.get_by_test_id("slot-conflict")).to_have_text(
        "Ce créneau vient d'être pris par quelqu'un d'autre. La liste est à jour.")
    expect(patient.get_by_test_id("no-slot")).to_be_visible()

    # the patient cancels with a reason: the doctor sees it live, the slot is offered again
    booked.get_by_test_id("appt-cancel").click()
    booked.get_by_test_id("appt-cancel-reason").fill("Empêchement familial")
    booked.get_by_test_id("appt-cancel-confirm").click()
    expect(patient.get_by_test_id("patient-appointments").get_by_test_id("appointment")).to_have_count(0)
    expect(patient.get_by_test_id("patient-cancelled").get_by_test_id("appointment")).to_contain_text(
        "Annulé (Empêchement familial)")
    expect(doc_list).to_have_count(1)
    doctor.get_by_label("Afficher les annulés").check()
    expect(doctor.locator("[data-testid=appointment][data-status=cancelled]")).to_contain_text("Empêchement familial")
    patient.get_by_test_id("slot-search").get_by_role("button", name="Rechercher").click()
    expect(slots).to_have_count(1)
    stored = http.call("GET", "/api/appointments/patient/?status=all", token(http, people["patient"]), expect=200)
    assert [(a["status"], a["cancel_reason"]) for a in stored] == [("cancelled", "Empêchement familial")]


def test_treatment_intakes_adherence_and_a_doctors_addition_live(login, http, people, server):
    patient_t, doctor_t = token(http, people["patient"]), token(http, people["doctor"])
    ensure_grant(http, doctor_t, patient_t, people["patient_id"])
    started = (datetime.now(UTC) - timedelta(minutes=150)).isoformat()
    tr = http.call("POST", "/api/treatments/", patient_t, {
        "medocs_name": "Amoxicilline", "frequency": 24, "duration_days": 5, "started_at": started}, expect=201)
    intakes = http.call("GET", f"/api/treatments/{tr['id']}/intakes/", patient_t, expect=200)
    now = datetime.now(UTC)
    open_now = [i for i in intakes if i["status"] == "pending" or (
        i["status"] == "upcoming" and datetime.fromisoformat(i["due_at"]) - now <= timedelta(hours=1))]
    assert len(open_now) >= 2, intakes

    page = login(people["patient"], **DESKTOP)
    page.get_by_role("tab", name="Traitements").click()
    card = page.locator(f"[data-testid=treatment][data-id='{tr['id']}']")
    expect(card).to_contain_text("Amoxicilline")
    expect(card).to_contain_text("24 prise(s) par jour")
    expect(card.get_by_test_id("treatment-days-left")).to_have_text(f"{tr['jours_restants']} jour(s) restant(s)")
    expect(card.get_by_test_id("treatment-adherence")).to_have_text("Observance : pas encore de prise comptée")
    expect(card.get_by_test_id("intake-taken")).to_have_count(len(open_now))

    card.get_by_test_id("intake-taken").first.click()
    expect(card.locator("[data-testid=intake][data-status=taken]")).to_have_count(1)
    expect(card.get_by_test_id("treatment-adherence")).to_contain_text("100 %")
    expect(card.get_by_test_id("intake-taken")).to_have_count(len(open_now) - 1)
    card.get_by_test_id("intake-skip").first.click()
    expect(card.locator("[data-testid=intake][data-status=skipped]")).to_have_count(1)
    expect(card.get_by_test_id("treatment-adherence")).to_have_text("Observance : 50 % (1 prise(s) sur 2)")
    adherence = http.call("GET", f"/api/treatments/{tr['id']}/adherence/", patient_t, expect=200)
    assert (adherence["taken"], adherence["skipped"], adherence["adherence"]) == (1, 1, 0.5)

    http.call("POST", "/api/treatments/", doctor_t, {"patient_id": people["patient_id"], "medocs_name": "Ibuprofène",
                                                      "frequency": 3, "duration_days": 7}, expect=201)
    expect(page.get_by_test_id("treatment")).to_have_count(2)           # live, no reload
    expect(page.get_by_test_id("treatment").filter(has_text="Ibuprofène")).to_contain_text("7 jour(s) restant(s)")


SCREENS = {"patient": {"patient-appointments": "/patient/appointments", "patient-treatments": "/patient/treatments"},
           "doctor": {"doctor-appointments": "/doctor/appointments"}}


def test_screens_fr_en_desktop_phone_with_axe(login, http, people, server, screenshots):
    patient_t = token(http, people["patient2"])
    http.call("POST", "/api/treatments/", patient_t, {"medocs_name": "Metformine", "frequency": 2, "duration_days": 30},
              expect=201)
    problems: dict[str, list] = {}
    for role, screens in SCREENS.items():
        creds = people["patient2"] if role == "patient" else people[role]
        for device, size in (("desktop", DESKTOP), ("phone", PHONE)):
            for lang in ("fr", "en"):
                page = login(creds, lang=lang, **size)
                for name, path in screens.items():
                    page.goto(server.base + path)
                    expect(page.get_by_test_id("conn")).to_have_attribute("data-status", "connected")
                    page.wait_for_load_state("networkidle")
                    expect(page.get_by_text("Chargement…")).to_have_count(0)
                    expect(page.get_by_text("Loading…")).to_have_count(0)
                    page.screenshot(path=str(screenshots / f"{name}-{lang}-{device}.png"), full_page=True)
                    if violations := axe_violations(page):
                        problems[f"{path} {lang} {device}"] = violations
                    width = page.evaluate("() => document.documentElement.scrollWidth")
                    if width > size["width"]:
                        problems[f"{path} {lang} {device} width"] = [width]
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
