"""Two tabs of one browser refreshing the shared session at the same moment, many times over.

Access tokens live 5 s here, so both tabs' timers fire together every 4 s and one tab takes the
refresh lock the instant the other releases it, right after it rotated and stored the pair: the
window where a tab could still see the old pair (Chromium delivers another tab's localStorage
write to a renderer's cached copy asynchronously) and send the rotated refresh token, which the
server takes for theft (`token_reused`: the family is revoked, every tab signed out). Over a dozen
handoffs no refresh token may be sent twice and both tabs must still be signed in and connected.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

TTL = 5
LIFETIMES = 10
STORED = """() => new Promise((resolve, reject) => { const open = indexedDB.open('fadjma');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => { try {
        const get = open.result.transaction('session').objectStore('session').get('fadjma.session');
        get.onsuccess = () => { open.result.close(); resolve(get.result ? get.result.pair : null); };
    } catch (e) { open.result.close(); reject(e); } }; })"""


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"ACCESS_TOKEN_TTL": str(TTL), "SOCKET_AUTH_GRACE": "5"}


def test_two_tabs_refreshing_together_never_send_a_rotated_refresh_token(login, people, http, server):
    first = login(people["doctor"])
    sent: list[str] = []
    answers: list[int] = []
    issued: list[str] = []

    def on_request(req):
        if req.url.endswith("/api/token/refresh/") and req.method == "POST":
            sent.append(json.loads(req.post_data or "{}").get("refresh", ""))

    def on_response(resp):
        if resp.url.endswith("/api/token/refresh/"):
            answers.append(resp.status)
            if resp.ok:
                issued.append(resp.json()["refresh"])

    first.context.on("request", on_request)
    first.context.on("response", on_response)
    second = first.context.new_page()
    second.goto(server.base + "/doctor/patients")
    expect(second.get_by_test_id("conn")).to_have_attribute("data-status", "connected")

    first.wait_for_timeout((LIFETIMES * TTL + 2) * 1000)

    assert len(sent) >= LIFETIMES - 2, sent                  # the tabs did refresh, about once a lifetime
    again = [i for i, t in enumerate(sent) if t in sent[:i]]
    assert again == [], f"refresh requests {again} of {len(sent)} re-sent a rotated refresh token"
    assert all(status == 200 for status in answers), answers  # no token_reused, no revoked family
    for _ in range(50):  # the pair every tab reads before refreshing is the last one the server issued
        now = second.evaluate(STORED)                         # (a refresh may be finishing: settle)
        if now and now["refresh"] == issued[-1]:
            break
        first.wait_for_timeout(100)
    assert now["refresh"] == issued[-1]
    for page in (first, second):
        expect(page.get_by_test_id("conn")).to_have_attribute("data-status", "connected")
        expect(page.locator("input[name=username]")).to_have_count(0)
    assert http.call("GET", "/api/me", now["access"], expect=200)["username"] == people["doctor"][0]
