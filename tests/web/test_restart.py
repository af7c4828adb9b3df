"""A server restart while a patient's tab is open: the notifications created while the tab was
disconnected arrive after it reconnects (the handshake replay from `last_seq`), none twice.

The browser's Socket.IO connection is routed through Playwright (`route_web_socket`) so the
test decides when the tab may reconnect: first the server stops and starts again, then three
notifications are created while the tab is still cut off, then it may reconnect."""

from __future__ import annotations

import re

from playwright.sync_api import WebSocketRoute, expect

from tests.web.flows import ensure_grant, token


def test_restart_replays_what_was_missed_exactly_once(login, people, http, server):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient"])
    pid = people["patient_id"]
    ensure_grant(http, doctor_t, patient_t, pid)

    cut = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        if cut["on"]:
            ws.close()
        else:
            ws.connect_to_server()

    patient = login(people["patient"])
    # The route applies to new sockets: reconnect once through it before the test proper.
    patient.context.route_web_socket(re.compile(r"/socket\.io/"), route)
    patient.reload()
    conn = patient.get_by_test_id("conn")
    expect(conn).to_have_attribute("data-status", "connected")
    before = http.call("GET", "/api/notifications?limit=100", patient_t, expect=200)

    cut["on"] = True
    server.stop()
    expect(conn).not_to_have_attribute("data-status", "connected")
    server.start()
    doctor_t = token(http, people["doctor"])
    for i in range(3):
        http.call("POST", f"/api/patients/{pid}/records", doctor_t, {
            "diagnosis": f"Contrôle {i}", "notes": "", "visit_date": "2026-11-20", "attachments": []}, expect=201)
    assert conn.get_attribute("data-status") != "connected"  # they were created while the tab was away

    cut["on"] = False
    expect(conn).to_have_attribute("data-status", "connected", timeout=30_000)
    after = http.call("GET", "/api/notifications?limit=100", patient_t, expect=200)
    assert len(after["items"]) == len(before["items"]) + 3
    expect(patient.get_by_test_id("notif-badge")).to_have_attribute("data-count", str(after["unread"]))
    # each missed item is toasted once on arrival (toasts stay 8 s)
    expect(patient.get_by_test_id("toast").filter(has_text="Nouvelle entrée dans votre dossier")).to_have_count(3)
    patient.get_by_test_id("notif-open").click()
    items = patient.get_by_test_id("notif-item")
    expect(items).to_have_count(len(after["items"]))
    patient.wait_for_timeout(1500)  # settle: a late duplicate would show up now
    seqs = [int(s) for s in items.evaluate_all("els => els.map(e => e.dataset.seq)")]
    assert len(seqs) == len(after["items"]) == len(set(seqs))
    assert sorted(seqs, reverse=True) == [n["seq"] for n in after["items"]]
