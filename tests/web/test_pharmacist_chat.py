"""Names instead of short ids, and the pharmacist's chat with prescribers, in the browser.

A doctor prescribes; the pharmacist's queue names the prescriber and the patient; the patient's
access screen, prescription and record name the doctor; the pharmacist opens the conversation about that prescription,
the doctor sees it live by the pharmacist's name and answers; screenshots fr/en desktop/phone
of the pharmacist's chat with axe and no horizontal overflow at 360 px."""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import expect

from tests.web.flows import ensure_grant, token
from tests.web.test_screens import DESKTOP, PHONE, axe_violations


def prescribe(http, doctor_t: str, patient_id: str, med: str) -> dict:
    return http.call("POST", "/api/prescriptions", doctor_t, {"patient_id": patient_id, "notes": "", "medications": [
        {"name": med, "dose": "500 mg", "frequency": "2/j", "duration": "5 j", "quantity": 1}]}, expect=201)


def test_names_and_the_pharmacist_talks_with_the_prescriber(login, http, people, server, screenshots):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient"])
    pid = people["patient_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    med = f"Zincomed-{uuid.uuid4().hex[:4]}"
    rx = prescribe(http, doctor_t, pid, med)

    patient = login(people["patient"], **DESKTOP)
    patient.goto(server.base + "/patient/access")
    expect(patient.get_by_test_id("grant").first).to_contain_text("Médecin Awa Test")
    patient.get_by_role("tab", name="Ordonnances").click()
    mine = patient.locator(f"[data-testid=rx][data-rx-id='{rx['id']}']")
    expect(mine.get_by_test_id("rx-prescriber")).to_have_text("Prescripteur : Awa Test")
    http.call("POST", f"/api/patients/{pid}/records", doctor_t, {
        "diagnosis": f"Bilan {med}", "notes": "", "visit_date": "2026-11-20", "attachments": []}, expect=201)
    patient.get_by_role("tab", name="Dossier médical").click()
    record = patient.get_by_test_id("record").filter(has_text=f"Bilan {med}")
    expect(record.get_by_test_id("record-author")).to_have_text("Médecin Awa Test")

    ph = login(people["pharmacist"], **DESKTOP)
    row = ph.locator(f"[data-testid=queue-rx][data-rx-id='{rx['id']}']")
    expect(row.get_by_test_id("rx-people")).to_have_text("Prescripteur : Awa Test · Patient : Mariama Patient")

    ph.get_by_role("tab", name="Messages").click()
    ph.get_by_test_id("chat-contact").get_by_role("combobox").click()
    ph.get_by_role("option", name=f"Awa Test · ordonnance {med}").click()
    ph.get_by_test_id("chat-start").click()
    conv = ph.get_by_test_id("conversation")
    expect(conv).to_have_attribute("data-id", f"rx:{rx['id']}:" + conv.get_attribute("data-id").split(":")[-1])

    doctor = login(people["doctor"], **DESKTOP)
    doctor.goto(server.base + "/doctor/chat")
    ph.get_by_test_id("chat-input").fill(f"{med} : rupture, un générique convient-il ?")
    ph.get_by_test_id("chat-send").click()
    item = doctor.get_by_test_id("conversation-item").filter(has_text="Ibrahima Sow")
    expect(item).to_contain_text("Ordonnance")
    item.click()
    dconv = doctor.get_by_test_id("conversation")
    expect(dconv.get_by_test_id("message-text")).to_have_text([f"{med} : rupture, un générique convient-il ?"])
    doctor.get_by_test_id("chat-input").fill("Oui, le générique convient.")
    doctor.get_by_test_id("chat-send").click()
    expect(conv.get_by_test_id("message-text")).to_have_text(
        [f"{med} : rupture, un générique convient-il ?", "Oui, le générique convient."])
    expect(conv.get_by_test_id("receipt")).to_have_text([" · lu"])

    problems: dict[str, list] = {}
    for device, size in (("desktop", DESKTOP), ("phone", PHONE)):
        for lang in ("fr", "en"):
            page = login(people["pharmacist"], lang=lang, **size)
            page.goto(server.base + "/pharmacist/chat")
            expect(page.get_by_test_id("conn")).to_have_attribute("data-status", "connected")
            page.get_by_test_id("conversation-item").filter(has_text="Awa Test").first.click()
            expect(page.get_by_test_id("message").first).to_be_visible()
            page.screenshot(path=str(screenshots / f"pharmacist-chat-{lang}-{device}.png"), full_page=True)
            if violations := axe_violations(page):
                problems[f"chat {lang} {device}"] = violations
            if (width := page.evaluate("() => document.documentElement.scrollWidth")) > size["width"]:
                problems[f"chat {lang} {device} width"] = [width]
            page.context.close()
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
