"""The session in a real browser, with access tokens living 20 s (the server's ACCESS_TOKEN_TTL)
and sockets dropped 5 s after expiry unless refreshed: the tab refreshes in the background and
tells its socket (`auth:refresh`), so it stays connected, keeps calling the API and hearing live
events across several token lifetimes; signing out revokes the whole token family. Two tabs of one
browser share the session: the second opens signed in, both refresh over two lifetimes without
ever sending a rotated token twice (the server would revoke the family), and signing out on one
signs the other out."""

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
    first = json.loads(patient.evaluate("() => localStorage.getItem('fadjma.session')"))

    patient.wait_for_timeout((2 * TTL + 8) * 1000)  # two lifetimes and past the socket grace
    now = json.loads(patient.evaluate("() => localStorage.getItem('fadjma.session')"))
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

    current = json.loads(patient.evaluate("() => localStorage.getItem('fadjma.session')"))
    patient.get_by_test_id("logout").click()
    expect(patient.locator("input[name=username]")).to_be_visible()
    assert patient.evaluate("() => localStorage.getItem('fadjma.session')") is None
    refused = http.call("POST", "/api/token/refresh/", body={"refresh": current["refresh"]})
    assert refused["error"]["code"] in ("token_revoked", "token_reused")
    assert http.call("GET", "/api/me", current["access"])["error"]["code"] == "token_revoked"


DROPS = """() => { window.__drops = 0;
    new MutationObserver(() => { const s = document.querySelector('[data-testid=conn]');
        if (s && s.dataset.status !== 'connected') window.__drops++; })
      .observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-status']}); }"""


def test_two_tabs_share_one_session_refresh_without_reuse_and_sign_out_together(login, people, http, server):
    first = login(people["doctor"])
    second = first.context.new_page()
    second.goto(server.base + "/doctor/patients")
    expect(second.get_by_test_id("conn")).to_have_attribute("data-status", "connected")  # no login form
    expect(second.locator("input[name=username]")).to_have_count(0)
    for page in (first, second):
        page.evaluate(DROPS)
    start = json.loads(first.evaluate("() => localStorage.getItem('fadjma.session')"))

    first.wait_for_timeout((2 * TTL + 8) * 1000)  # both tabs' timers fire twice, at about the same time
    now = json.loads(second.evaluate("() => localStorage.getItem('fadjma.session')"))
    assert now["refresh"] != start["refresh"]
    for page in (first, second):
        expect(page.get_by_test_id("conn")).to_have_attribute("data-status", "connected")
        assert page.evaluate("() => window.__drops") == 0
    # the family is alive: a reused refresh token would have revoked it and signed both tabs out
    assert http.call("GET", "/api/me", now["access"], expect=200)["username"] == people["doctor"][0]
    second.get_by_role("tab", name="Mes patients").click()                   # REST with the shared token
    expect(second.get_by_test_id("conn")).to_have_attribute("data-status", "connected")

    second.get_by_test_id("logout").click()
    for page in (first, second):
        expect(page.locator("input[name=username]")).to_be_visible()
    assert first.evaluate("() => localStorage.getItem('fadjma.session')") is None
    assert http.call("GET", "/api/me", now["access"])["error"]["code"] == "token_revoked"
