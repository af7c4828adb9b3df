"""The session in a real browser, with access tokens living 20 s (the server's ACCESS_TOKEN_TTL)
and sockets dropped 5 s after expiry unless refreshed: the tab refreshes in the background and
tells its socket (`auth:refresh`), so it stays connected, keeps calling the API and hearing live
events across several token lifetimes; signing out revokes the whole token family."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.web.flows import ensure_grant, token

TTL = 20


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"ACCESS_TOKEN_TTL": str(TTL), "SOCKET_AUTH_GRACE": "5"}


def test_background_refresh_keeps_tab_and_socket_alive_then_logout_revokes(login, people, http):
    patient = login(people["patient"])
    patient.evaluate("""() => { window.__drops = 0;
        new MutationObserver(() => { const s = document.querySelector('[data-testid=conn]');
            if (s && s.dataset.status !== 'connected') window.__drops++; })
          .observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-status']}); }""")
    first = json.loads(patient.evaluate("() => sessionStorage.getItem('fadjma.session')"))

    patient.wait_for_timeout((2 * TTL + 8) * 1000)  # two lifetimes and past the socket grace
    now = json.loads(patient.evaluate("() => sessionStorage.getItem('fadjma.session')"))
    assert now["refresh"] != first["refresh"]  # rotated in the background
    expect(patient.get_by_test_id("conn")).to_have_attribute("data-status", "connected")
    assert patient.evaluate("() => window.__drops") == 0  # the socket was never dropped

    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient"])
    ensure_grant(http, doctor_t, patient_t, people["patient_id"])
    http.call("POST", f"/api/patients/{people['patient_id']}/records", doctor_t, {
        "diagnosis": "Suivi", "notes": "", "visit_date": "2026-11-22", "attachments": []}, expect=201)
    expect(patient.get_by_test_id("toast").filter(has_text="Nouvelle entrée dans votre dossier")).to_have_count(1)
    patient.get_by_role("tab", name="Dossier médical").click()  # REST with the current token
    expect(patient.get_by_test_id("record")).to_have_count(1)

    current = json.loads(patient.evaluate("() => sessionStorage.getItem('fadjma.session')"))
    patient.get_by_test_id("logout").click()
    expect(patient.locator("input[name=username]")).to_be_visible()
    assert patient.evaluate("() => sessionStorage.getItem('fadjma.session')") is None
    refused = http.call("POST", "/api/token/refresh/", body={"refresh": current["refresh"]})
    assert refused["error"]["code"] in ("token_revoked", "token_reused")
    assert http.call("GET", "/api/me", current["access"])["error"]["code"] == "token_revoked"
