"""The doctor's treatments view and assistant in the browser, against the real server.

Treatments: the doctor picks a patient who granted `prescriptions` (by name), sees the patient's
own treatment read-only (no intake buttons: only the patient answers) and live (an intake the
patient confirms, a change the patient makes, without reload: treatment events reach granted
doctors), adds one that the patient's screen shows live, and stops it. Assistant: a doctor asks, the offline answer streams in, and there
is no "use my data" (a doctor is nobody's patient to the assistant). Screenshots fr/en
desktop/phone with axe and no horizontal overflow at 360 px."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.web.flows import ensure_grant, token
from tests.web.test_screens import DESKTOP, PHONE, axe_violations


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"GOOGLE_API_KEY": ""}  # the offline assistant, whatever the machine's environment says


def test_doctor_treatments_read_add_live_for_the_patient_and_stop(login, http, people, server):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient"])
    pid = people["patient_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    own = f"Paracétamol-{uuid.uuid4().hex[:4]}"
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()  # intakes already due to answer
    own_id = http.call("POST", "/api/treatments/", patient_t, {"medocs_name": own, "frequency": 3, "duration_days": 5,
                                                               "started_at": since}, expect=201)["id"]

    patient = login(people["patient"], **DESKTOP)
    patient.goto(server.base + "/patient/treatments")
    expect(patient.get_by_test_id("treatment").filter(has_text=own)).to_be_visible()

    doctor = login(people["doctor"], **DESKTOP)
    doctor.goto(server.base + "/doctor/treatments")
    doctor.get_by_test_id("treat-patient").get_by_role("combobox").click()
    doctor.get_by_role("option", name="Mariama Patient", exact=True).click()
    card = doctor.get_by_test_id("treatment").filter(has_text=own)
    expect(card).to_be_visible()
    expect(card.get_by_test_id("treatment-by")).to_have_text("ajouté par Mariama Patient")
    expect(card.get_by_test_id("intake-taken")).to_have_count(0)          # read-only for the doctor
    expect(card.get_by_test_id("treatment-stop")).to_have_count(0)        # not the doctor's to stop
    # live for the doctor (no reload): the patient confirms an intake, then lengthens the course elsewhere
    taken = card.locator('[data-testid="intake"][data-status="taken"]')
    expect(taken).to_have_count(0)
    due = next(i for i in http.call("GET", f"/api/treatments/{own_id}/intakes/", patient_t, expect=200)
               if i["status"] in ("pending", "missed"))
    http.call("POST", f"/api/treatments/{own_id}/intakes/", patient_t, {"due_at": due["due_at"], "status": "taken"},
              expect=200)
    expect(taken).to_have_count(1)
    expect(card.get_by_test_id("treatment-days-left")).to_have_text("4 jour(s) restant(s)")
    http.call("PUT", f"/api/treatments/{own_id}/", patient_t, {"duration_days": 9}, expect=200)
    expect(card.get_by_test_id("treatment-days-left")).to_have_text("8 jour(s) restant(s)")

    mine = f"Metformine-{uuid.uuid4().hex[:4]}"
    form = doctor.get_by_test_id("treatment-form")
    form.get_by_label("Médicament").fill(mine)
    form.get_by_role("button", name="Ajouter un traitement").click()
    added = doctor.get_by_test_id("treatment").filter(has_text=mine)
    expect(added.get_by_test_id("treatment-by")).to_have_text("ajouté par Awa Test")
    expect(patient.get_by_test_id("treatment").filter(has_text=mine)).to_be_visible()   # live on the patient's
    added.get_by_test_id("treatment-stop").click()
    expect(added).to_have_count(0)
    expect(patient.get_by_test_id("treatment").filter(has_text=mine)).to_have_count(0)
    assert [t["medocs_name"] for t in http.call("GET", "/api/treatments/", patient_t, expect=200)
            if t["medocs_name"] in (own, mine)] == [own]


def test_doctor_assistant_answers_without_patient_data(login, http, people, server):
    doctor = login(people["doctor"], **DESKTOP)
    doctor.goto(server.base + "/doctor/assistant")
    expect(doctor.get_by_test_id("doctor-assistant")).to_be_visible()
    expect(doctor.get_by_role("checkbox")).to_have_count(0)              # no "use my data"
    doctor.get_by_test_id("bot-input").fill("Comment bien dormir ?")
    doctor.get_by_test_id("bot-send").click()
    turn = doctor.get_by_test_id("bot-turn").last
    expect(turn).to_have_attribute("data-streaming", "0")
    expect(turn).to_have_attribute("data-mode", "offline")
    history = http.call("GET", "/api/chatbot/history/", token(http, people["doctor"]), expect=200)["items"]
    assert history[-1]["question"] == "Comment bien dormir ?" and history[-1]["grounded"] in (False, [], None, {})


SCREENS = {"doctor-treatments": "/doctor/treatments?patient={pid}", "doctor-assistant": "/doctor/assistant"}


def test_screens_fr_en_desktop_phone_with_axe(login, http, people, server, screenshots):
    ensure_grant(http, token(http, people["doctor"]), token(http, people["patient"]), people["patient_id"])
    problems: dict[str, list] = {}
    for device, size in (("desktop", DESKTOP), ("phone", PHONE)):
        for lang in ("fr", "en"):
            page = login(people["doctor"], lang=lang, **size)
            for name, path in SCREENS.items():
                page.goto(server.base + path.format(pid=people["patient_id"]))
                expect(page.get_by_test_id("conn")).to_have_attribute("data-status", "connected")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(screenshots / f"{name}-{lang}-{device}.png"), full_page=True)
                if violations := axe_violations(page):
                    problems[f"{path} {lang} {device}"] = violations
                if (width := page.evaluate("() => document.documentElement.scrollWidth")) > size["width"]:
                    problems[f"{path} {lang} {device} width"] = [width]
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
