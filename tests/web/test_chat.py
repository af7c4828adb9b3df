"""The assistant and chat between people in the browser, against the real server.

Assistant (no Gemini key: the offline assistant): the answer arrives as `chatbot:chunk` frames on
`/chatbot` and settles as the stored answer, the offline notice shows, a red flag puts the
server's emergency sentence first, markup typed by the user stays text, clearing empties the
history. Chat: a doctor opens a conversation with a granted patient; presence, typing, live
messages both ways, read receipts; the patient's socket is cut while three messages are sent,
and after the reconnect they appear once each, in order. Screenshots fr/en desktop/phone, axe."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.web.flows import ensure_grant, token
from tests.web.test_screens import DESKTOP, PHONE, axe_violations

MARKUP = '<img src=x onerror="window.__xss=1"><b>gras</b>'


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"GOOGLE_API_KEY": ""}  # the offline assistant, whatever the machine's environment says


def chunk_frames(page: Page) -> list[str]:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)
                                          if isinstance(f, str) and "chatbot:chunk" in f else None))
    return frames


def test_assistant_streams_offline_answers_keeps_markup_as_text_and_clears(login, http, people):
    patient_t = token(http, people["patient"])
    page = login(people["patient"], **DESKTOP)
    frames = chunk_frames(page)
    page.reload()                               # a new WebSocket, watched from its first frame
    page.get_by_role("tab", name="Assistant").click()
    expect(page.get_by_test_id("bot-turns")).to_contain_text("Posez votre question.")

    page.get_by_test_id("bot-input").fill("Comment bien dormir ?")
    page.get_by_test_id("bot-send").click()
    turns = page.get_by_test_id("bot-turn")
    expect(turns).to_have_count(1)
    expect(turns.first).to_have_attribute("data-mode", "offline")
    history = http.call("GET", "/api/chatbot/history/", patient_t, expect=200)["items"]
    assert len(history) == 1
    expect(turns.first.get_by_test_id("bot-answer")).to_contain_text(history[0]["answer"].strip()[:60])
    expect(page.get_by_test_id("bot-offline")).to_contain_text("Mode hors ligne")
    assert len(frames) >= 1                                   # the answer came as streamed chunks

    page.get_by_test_id("bot-input").fill("J'ai une douleur thoracique depuis une heure")
    page.get_by_test_id("bot-send").click()
    expect(turns).to_have_count(2)
    expect(turns.nth(1)).to_have_attribute("data-streaming", "0")
    history = http.call("GET", "/api/chatbot/history/", patient_t, expect=200)["items"]
    flagged = next(h for h in history if "thoracique" in h["question"])
    assert flagged["red_flags"]
    first_line = flagged["answer"].split("\n")[0]
    answer_text = turns.nth(1).get_by_test_id("bot-answer").inner_text()
    assert answer_text.startswith(first_line[:40]), (answer_text, first_line)

    page.get_by_test_id("bot-input").fill(MARKUP)
    page.get_by_test_id("bot-send").click()
    expect(turns).to_have_count(3)
    expect(turns.nth(2).get_by_test_id("bot-question")).to_have_text(MARKUP)
    expect(page.get_by_test_id("bot-turns").locator("img, b")).to_have_count(0)
    assert page.evaluate("() => window.__xss") is None

    page.get_by_test_id("bot-clear").click()
    expect(turns).to_have_count(0)
    assert http.call("GET", "/api/chatbot/history/", patient_t, expect=200)["items"] == []
    page.reload()
    expect(page.get_by_test_id("bot-turns")).to_contain_text("Posez votre question.")


def test_chat_presence_typing_receipts_and_replay_after_a_cut(login, http, people, server, screenshots):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient"])
    pid = people["patient_id"]
    ensure_grant(http, doctor_t, patient_t, pid)

    cut: dict = {"on": False, "open": []}

    def route(ws: WebSocketRoute) -> None:
        if cut["on"]:
            ws.close()
        else:
            ws.connect_to_server()
            cut["open"].append(ws)

    patient = login(people["patient"], **DESKTOP)
    patient.context.route_web_socket(re.compile(r"/socket\.io/"), route)
    patient.reload()
    expect(patient.get_by_test_id("conn")).to_have_attribute("data-status", "connected")

    doctor = login(people["doctor"], **DESKTOP)
    doctor.goto(server.base + "/doctor/chat")
    doctor.get_by_test_id("chat-contact").get_by_role("combobox").click()
    doctor.get_by_role("option", name="Mariama Patient", exact=True).click()  # a name, not a short id
    doctor.get_by_test_id("chat-start").click()
    conv = doctor.get_by_test_id("conversation")
    expect(conv).to_have_attribute("data-id", re.compile(r"^care:"))
    expect(conv.get_by_test_id("presence")).to_have_attribute("data-online", "1")

    patient.get_by_role("tab", name="Messages").click()
    patient.get_by_test_id("conversation-item").filter(has_text="Awa Test").click()
    pconv = patient.get_by_test_id("conversation")
    expect(pconv.get_by_test_id("presence")).to_have_attribute("data-online", "1")

    doctor.get_by_test_id("chat-input").fill("Bonjour, comment allez-vous ?")
    expect(pconv.get_by_test_id("typing")).to_have_text("Awa Test écrit…")
    doctor.get_by_test_id("chat-send").click()
    expect(pconv.get_by_test_id("message")).to_have_count(1)
    expect(pconv.get_by_test_id("message-text")).to_have_text("Bonjour, comment allez-vous ?")
    expect(pconv.get_by_test_id("typing")).to_have_text("")
    expect(conv.get_by_test_id("receipt")).to_have_text(" · lu")          # the patient has it on screen

    patient.get_by_test_id("chat-input").fill("Mieux, merci docteur")
    patient.get_by_test_id("chat-send").click()
    expect(conv.get_by_test_id("message")).to_have_count(2)
    expect(conv.get_by_test_id("message").nth(1)).to_contain_text("Mieux, merci docteur")
    patient.screenshot(path=str(screenshots / "patient-chat-fr-desktop.png"), full_page=True)
    problems = {"patient chat": axe_violations(patient), "doctor chat": axe_violations(doctor)}

    # cut the patient's socket; the doctor sees them go offline and writes three messages
    cut["on"] = True
    for ws in cut["open"]:
        ws.close()
    expect(patient.get_by_test_id("conn")).not_to_have_attribute("data-status", "connected")
    expect(conv.get_by_test_id("presence")).to_have_attribute("data-online", "0")
    for text in ("Premier", "Deuxième", MARKUP):
        doctor.get_by_test_id("chat-input").fill(text)
        doctor.get_by_test_id("chat-send").click()
    expect(conv.locator("[data-testid=message][data-mine='1'] [data-testid=receipt]")).to_have_text(
        [" · lu", " · envoyé", " · envoyé", " · envoyé"])
    assert pconv.get_by_test_id("message").count() == 2                  # nothing reached the cut tab

    cut["on"] = False
    expect(patient.get_by_test_id("conn")).to_have_attribute("data-status", "connected", timeout=30_000)
    expect(pconv.get_by_test_id("message")).to_have_count(5)
    expect(conv.get_by_test_id("presence")).to_have_attribute("data-online", "1")
    patient.wait_for_timeout(1500)                                       # settle: a late duplicate would show now
    stored = http.call("GET", f"/api/chat/conversations/{conv.get_attribute('data-id')}/messages/?limit=50",
                       patient_t, expect=200)["items"]
    seqs = [int(s) for s in pconv.get_by_test_id("message").evaluate_all("els => els.map(e => e.dataset.seq)")]
    assert seqs == sorted(m["seq"] for m in stored) and len(seqs) == len(set(seqs)) == 5
    expect(pconv.get_by_test_id("message-text").last).to_have_text(MARKUP)
    expect(pconv.get_by_test_id("messages").locator("img, b")).to_have_count(0)
    assert patient.evaluate("() => window.__xss") is None
    expect(conv.locator("[data-testid=message][data-mine='1'] [data-testid=receipt]").last).to_have_text(" · lu")
    assert not any(problems.values()), json.dumps(problems, indent=1, ensure_ascii=False)


SCREENS = {"patient": {"patient-assistant": "/patient/assistant", "patient-chat": "/patient/chat"},
           "doctor": {"doctor-chat": "/doctor/chat"}}


def test_screens_fr_en_desktop_phone_with_axe(login, http, people, server, screenshots):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient"])
    ensure_grant(http, doctor_t, patient_t, people["patient_id"])
    conv = http.call("POST", "/api/chat/conversations/", doctor_t, {"with_user_id": people["patient_id"]})
    http.call("POST", f"/api/chat/conversations/{conv['id']}/messages/", doctor_t,
              {"text": "Pensez à prendre votre tension ce soir."}, expect=201)
    problems: dict[str, list] = {}
    for role, screens in SCREENS.items():
        for device, size in (("desktop", DESKTOP), ("phone", PHONE)):
            for lang in ("fr", "en"):
                page = login(people[role], lang=lang, **size)
                for name, path in screens.items():
                    page.goto(server.base + path)
                    expect(page.get_by_test_id("conn")).to_have_attribute("data-status", "connected")
                    page.wait_for_load_state("networkidle")
                    if role == "patient" and name == "patient-chat":
                        page.get_by_test_id("conversation-item").first.click()
                        expect(page.get_by_test_id("message").first).to_be_visible()
                    page.screenshot(path=str(screenshots / f"{name}-{lang}-{device}.png"), full_page=True)
                    if violations := axe_violations(page):
                        problems[f"{path} {lang} {device}"] = violations
                    width = page.evaluate("() => document.documentElement.scrollWidth")
                    if width > size["width"]:
                        problems[f"{path} {lang} {device} width"] = [width]
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
