"""The issue's end-to-end scenarios in Debian's Chromium against a real server process, with
several browser contexts at once: what one person does appears on another's screen live."""

from __future__ import annotations

import re
import time

from playwright.sync_api import WebSocketRoute, expect

from tests.web.flows import NORMAL, ensure_grant, provision_device, send, token

MARK = "() => { window.__e2eNoReload = 42; }"
STILL = "() => window.__e2eNoReload"


def test_access_request_toast_approve_and_doctor_updates_live(login, people, http):
    patient = login(people["patient"])
    doctor = login(people["doctor"])
    for page in (patient, doctor):
        page.evaluate(MARK)
    doctor.get_by_role("tab", name="Mes patients").click()
    doctor.get_by_test_id("request-patient").fill(people["patient_id"])
    doctor.get_by_test_id("request-reason").fill("Suivi cardiaque")
    doctor.get_by_test_id("request-submit").click()
    request = doctor.locator(f"[data-testid=doctor-request][data-patient='{people['patient_id']}']")
    expect(request).to_have_attribute("data-status", "pending")

    expect(patient.get_by_test_id("toast").filter(has_text="demande l'accès")).to_be_visible()
    patient.get_by_role("tab", name="Accès à mes données").click()
    patient.locator("[data-testid=access-request][data-status=pending]").get_by_test_id("approve").click()
    expect(patient.get_by_test_id("grant")).to_have_count(1)

    expect(request).to_have_attribute("data-status", "approved")
    expect(request.get_by_test_id("request-status")).to_have_text("Acceptée")
    expect(doctor.locator(f"[data-testid=doctor-grant][data-patient='{people['patient_id']}']")).to_have_count(1)
    expect(doctor.get_by_test_id("toast").filter(has_text="approuvé")).to_be_visible()
    assert doctor.evaluate(STILL) == 42 and patient.evaluate(STILL) == 42  # no reload anywhere


def test_device_readings_reach_the_doctors_cards_and_chart_within_a_second(login, people, http, server):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient2"])
    pid = people["patient2_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    _, device = provision_device(http, token(http, people["admin"]), pid)
    send(http, device, **NORMAL)
    doctor = login(people["doctor"])
    doctor.goto(f"{server.base}/doctor/patients/{pid}")
    card = doctor.get_by_test_id("vital-heart_rate")
    expect(card).to_have_attribute("data-value", "72")
    chart = doctor.get_by_test_id("chart-heart_rate")
    expect(chart).to_have_attribute("data-points", re.compile(r"[1-9]"))
    before = int(chart.get_attribute("data-points"))

    for value in (97, 101, 88):
        start = time.monotonic()
        send(http, device, **{**NORMAL, "heart_rate": value})
        expect(card).to_have_attribute("data-value", str(value), timeout=1000)
        assert time.monotonic() - start < 1.0
    expect(chart).to_have_attribute("data-points", str(before + 3), timeout=1000)
    expect(doctor.get_by_test_id("vital-heart_rate-value")).to_contain_text("88")


def test_critical_alert_on_the_wall_acknowledged_and_the_patient_sees_it(login, people, http, server):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient2"])
    pid = people["patient2_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    _, device = provision_device(http, token(http, people["admin"]), pid)
    send(http, device, **NORMAL)
    patient = login(people["patient2"])
    doctor = login(people["doctor"])
    tile = doctor.locator(f"[data-testid=wall-tile][data-patient='{pid}']")
    expect(tile).to_be_visible()

    for _ in range(2):  # systolic_low: critical at ≤ 90 mmHg, two readings, no duration
        send(http, device, **{**NORMAL, "systolic": 84})
    expect(tile.get_by_test_id("wall-alerts")).to_have_attribute("data-types", re.compile(r"\bsystolic_low\b"))
    expect(tile.get_by_test_id("wall-alerts")).to_contain_text("Pression systolique basse")
    tile.click()
    alert = doctor.locator("[data-testid=alert][data-state=active_unacknowledged][data-type=systolic_low]")
    expect(alert).to_have_attribute("data-severity", "critical")
    alert_id = alert.get_attribute("data-alert-id")
    alert.get_by_test_id("alert-comment").fill("Vu, je passe")
    alert.get_by_test_id("alert-ack").click()

    mine = patient.locator(f"[data-testid=alert][data-alert-id='{alert_id}']")
    expect(mine).to_have_attribute("data-state", "active_acknowledged")
    expect(mine.get_by_test_id("alert-state")).to_have_text("Acquittée")
    expect(mine).to_contain_text("Vu, je passe")


def test_pharmacist_moves_a_prescription_and_the_patient_sees_the_status(login, people, http):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient2"])
    pid = people["patient2_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    rx = http.call("POST", "/api/prescriptions", doctor_t, {"patient_id": pid, "notes": "", "medications": [
        {"name": "Amlodipine", "dose": "5 mg", "frequency": "1/j", "duration": "30 j", "quantity": 1, "notes": ""}]},
        expect=201)
    patient = login(people["patient2"])
    patient.get_by_role("tab", name="Ordonnances").click()
    mine = patient.locator(f"[data-testid=rx][data-rx-id='{rx['id']}']")
    expect(mine).to_have_attribute("data-status", "created")

    pharmacist = login(people["pharmacist"])
    queued = pharmacist.locator(f"[data-testid=queue-rx][data-rx-id='{rx['id']}']")
    queued.get_by_test_id("rx-next").click()
    expect(queued).to_have_attribute("data-status", "validated")
    expect(mine).to_have_attribute("data-status", "validated")
    expect(mine.get_by_test_id("rx-status")).to_have_text("Validée")


def test_a_race_lost_on_a_prescription_shows_the_409(login, people, http):
    """The pharmacist's tab is cut off (no live event), another pharmacist validates first: the
    click on the stale row gets the server's 409, shown on the row, and the row is reloaded."""
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient2"])
    pid = people["patient2_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    rx = http.call("POST", "/api/prescriptions", doctor_t, {"patient_id": pid, "notes": "", "medications": [
        {"name": "Metformine", "dose": "500 mg", "frequency": "2/j", "duration": "30 j", "quantity": 1,
         "notes": ""}]}, expect=201)
    routes: list[WebSocketRoute] = []
    cut = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        if cut["on"]:
            ws.close()
        else:
            routes.append(ws)
            ws.connect_to_server()

    page = login(people["pharmacist"])
    page.context.route_web_socket(re.compile(r"/socket\.io/"), route)
    page.reload()
    conn = page.get_by_test_id("conn")
    expect(conn).to_have_attribute("data-status", "connected")
    row = page.locator(f"[data-testid=queue-rx][data-rx-id='{rx['id']}']")
    expect(row).to_have_attribute("data-status", "created")
    cut["on"] = True
    for ws in routes:
        ws.close()
    expect(conn).not_to_have_attribute("data-status", "connected")

    http.call("POST", f"/api/prescriptions/{rx['id']}/status", token(http, people["pharmacist"]),
              {"status": "validated"}, expect=200)
    expect(row).to_have_attribute("data-status", "created")  # stale: the tab did not hear it
    row.get_by_test_id("rx-next").click()
    expect(row.get_by_test_id("rx-conflict")).to_contain_text("Conflit")
    expect(row.get_by_test_id("rx-conflict")).to_contain_text("invalid_transition")
    expect(row).to_have_attribute("data-status", "validated")


def test_marking_read_on_one_tab_updates_the_other(login, people, http):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient2"])
    pid = people["patient2_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    first, second = login(people["patient2"]), login(people["patient2"])
    http.call("POST", f"/api/patients/{pid}/records", doctor_t, {
        "diagnosis": "Bilan", "notes": "", "visit_date": "2026-11-21", "attachments": []}, expect=201)
    unread = http.call("GET", "/api/notifications?limit=1", patient_t, expect=200)["unread"]
    assert unread >= 1
    for page in (first, second):
        expect(page.get_by_test_id("notif-badge")).to_have_attribute("data-count", str(unread))
    first.get_by_test_id("notif-open").click()
    first.get_by_test_id("notif-mark-all").click()
    expect(second.get_by_test_id("notif-badge")).to_have_attribute("data-count", "0")
    second.get_by_test_id("notif-open").click()
    expect(second.locator("[data-testid=notif-item][data-read='0']")).to_have_count(0)
    expect(second.locator("[data-testid=notif-item][data-read='1']")).not_to_have_count(0)
    assert http.call("GET", "/api/notifications?limit=1", patient_t, expect=200)["unread"] == 0
