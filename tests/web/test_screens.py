"""Every main screen, in French and English, on a desktop and a 360 px phone: a screenshot under
artifacts/screenshots/, an axe-core check (no serious or critical violation), no horizontal
scrolling on the phone. Plus switching the language on one screen without reloading."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.web.flows import NORMAL, ensure_grant, provision_device, send, token
from tests.web.support import AXE

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

SCREENS = {  # role: {screenshot name: path}
    "patient": {"patient-vitals": "/patient", "patient-access": "/patient/access",
                "patient-prescriptions": "/patient/prescriptions", "patient-records": "/patient/records",
                "patient-audit": "/patient/audit"},
    "doctor": {"doctor-wall": "/doctor", "doctor-patients": "/doctor/patients",
               "doctor-patient-live": "/doctor/patients/{patient2_id}"},
    "pharmacist": {"pharmacist-queue": "/pharmacist", "pharmacist-stock": "/pharmacist/stock"},
    "admin": {"admin-devices": "/admin", "admin-users": "/admin/users", "admin-units": "/admin/units",
              "admin-sessions": "/admin/sessions"},
}
ROLE_CREDS = {"patient": "patient2", "doctor": "doctor", "pharmacist": "pharmacist", "admin": "admin"}


def axe_violations(page: Page) -> list[dict]:
    # Evaluated, not added as a <script>: the page's Content-Security-Policy (script-src 'self') refuses
    # inline scripts, and the app must be tested under the policy it is served with.
    page.evaluate(AXE.read_text())
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def seeded(http, people):
    """Data on every screen: a grant, a device with readings, a prescription, a record."""
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient2"])
    pid = people["patient2_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    _, device = provision_device(http, token(http, people["admin"]), pid)
    for hr in (70, 74, 79):
        send(http, device, **{**NORMAL, "heart_rate": hr})
    http.call("POST", "/api/prescriptions", doctor_t, {"patient_id": pid, "notes": "", "medications": [
        {"name": "Paracétamol", "dose": "1 g", "frequency": "3/j", "duration": "5 j", "quantity": 2, "notes": ""}]},
        expect=201)
    http.call("POST", f"/api/patients/{pid}/records", doctor_t, {
        "diagnosis": "Hypertension", "notes": "Contrôle", "visit_date": "2026-11-20", "attachments": []}, expect=201)
    http.call("GET", f"/api/patients/{pid}/records", doctor_t, expect=200)  # an audit line
    return people


@pytest.mark.parametrize("role", list(SCREENS))
def test_main_screens_screenshots_axe_and_phone_width(role, login, seeded, server, screenshots):
    problems: dict[str, list] = {}
    for device, size in (("desktop", DESKTOP), ("phone", PHONE)):
        for lang in ("fr", "en"):
            page = login(seeded[ROLE_CREDS[role]], lang=lang, **size)
            for screen, path in SCREENS[role].items():
                page.goto(server.base + path.format(**seeded))
                expect(page.get_by_test_id("conn")).to_have_attribute("data-status", "connected")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(300)
                assert page.locator("html").get_attribute("lang") == lang
                page.screenshot(path=str(screenshots / f"{screen}-{lang}-{device}.png"), full_page=True)
                violations = axe_violations(page)
                if violations:
                    problems[f"{path} {lang} {device}"] = violations
                if device == "phone":
                    overflow = page.evaluate("() => document.documentElement.scrollWidth")
                    if overflow > PHONE["width"]:
                        problems[f"{path} {lang} phone width"] = [overflow]
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_french_then_english_on_the_same_screen_without_reload(login, seeded):
    page = login(seeded["patient2"], **PHONE)
    page.evaluate("() => { window.__e2eNoReload = 7; }")
    expect(page.get_by_role("tab", name="Tableau de bord")).to_be_visible()
    expect(page.get_by_test_id("vital-heart_rate")).to_contain_text("Fréquence cardiaque")
    expect(page.get_by_test_id("vital-heart_rate")).to_contain_text("Normale : 51–90 /min")
    expect(page.get_by_test_id("logout")).to_have_text("Se déconnecter")
    temp = page.get_by_test_id("vital-temperature-value")
    expect(temp).to_contain_text("36,8")
    expect(page.get_by_test_id("vital-heart_rate")).to_contain_text("il y a")

    page.get_by_test_id("lang-en").click()
    expect(page.get_by_role("tab", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("vital-heart_rate")).to_contain_text("Heart rate")
    expect(page.get_by_test_id("vital-heart_rate")).to_contain_text("Normal: 51–90 /min")
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")
    expect(temp).to_contain_text("36.8")
    expect(page.get_by_test_id("vital-heart_rate")).to_contain_text("ago")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.evaluate("() => window.__e2eNoReload") == 7
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
