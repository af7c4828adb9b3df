"""Who may call what in the chatbot and chat between people: every route and client event, every role.

Same roles as tests/handlers/test_care_authorization.py: the patient (pat, granted to doc), another
patient, the granted doctor, a doctor without a relation, a pharmacist, an admin, anonymous. A last
test fails when a chat or chatbot route or client event is registered without a row here.
"""

from __future__ import annotations

import socketio

from server.realtime import events
from tests.handlers.test_care_authorization import ROLES, expect
from tests.support.helpers import world

CONV = "/api/chat/conversations/"


def rest_cases(conv: str, ids: dict) -> list[tuple]:
    in_conv = expect(404, pat=200, doc=200, admin=403)
    return [
        ("POST", CONV, {"with_user_id": ids["pat"]},
         expect(403, pat=404, doc=200)),  # pat: themself; doc: the conversation exists already
        ("GET", CONV, None, expect(200, admin=403)),
        ("GET", f"{CONV}{conv}/messages/", None, in_conv),
        ("POST", f"{CONV}{conv}/messages/", {"text": "hello"}, {**in_conv, "pat": 201, "doc": 201}),
        ("POST", f"{CONV}{conv}/read/", {"seq": 1}, in_conv),
        ("GET", "/api/chatbot/history/", None, expect(200)),
        ("DELETE", "/api/chatbot/history/", None, expect(200)),
        ("GET", "/ws/chatbot/", None, expect(400)),  # authenticated, but not a WebSocket upgrade
    ]


async def test_every_chat_route_and_event_for_every_role(api):
    w = await world(api)
    await w.grant("doc", "pat")
    _, conv = await w.call("doc", "POST", CONV, {"with_user_id": w.ids["pat"]})
    failures = []
    for method, path, body, expected in rest_cases(conv["id"], w.ids):
        for role in ROLES:
            status, answer = await w.call(None if role == "anonymous" else role, method, path, json=body)
            if status != expected[role]:
                failures.append(f"{method} {path} as {role}: {status} (expected {expected[role]}) {answer}")
            if status >= 400:
                assert set(answer) == {"error"}, answer
    devices = {role: await w.device(role) for role in ROLES[1:]}
    mine = {role: "conversation_not_found" for role in ROLES[1:]} | {"pat": True, "doc": True,
                                                                      "admin": "role_forbidden"}
    cases = [
        (events.CHAT_SEND, {"conversation_id": conv["id"], "text": "hi"}, mine),
        (events.CHAT_SEND, {"conversation_id": conv["id"]}, dict.fromkeys(ROLES[1:], "invalid")),
        (events.CHAT_MARK_READ, {"conversation_id": conv["id"], "seq": 1}, mine),
        (events.CHAT_MARK_READ, {"conversation_id": conv["id"], "seq": 0}, dict.fromkeys(ROLES[1:], "invalid")),
        (events.CHAT_TYPING, {"conversation_id": conv["id"], "typing": True}, mine),
        (events.CHAT_TYPING, {"conversation_id": conv["id"], "typing": "x"}, dict.fromkeys(ROLES[1:], "invalid")),
    ]
    for event, data, expected in cases:
        for role, device in devices.items():
            ack = await device.call(event, data)
            got = True if ack["ok"] else ack["error"]["code"]
            if got != expected[role]:
                failures.append(f"{event} as {role}: {ack}")
    for role in ROLES[1:]:  # the chatbot answers everyone, each from their own data (offline here: no key)
        bot = socketio.AsyncClient(reconnection=False)
        await bot.connect(api.base_url, auth={"token": w.tokens[role]}, namespaces=["/chatbot"],
                          transports=["websocket"], wait_timeout=5)
        for event, data, ok in ((events.CHATBOT_MESSAGE, {"message": "Bonjour"}, True),
                                (events.CHATBOT_MESSAGE, {"message": "x" * 2001}, "invalid"),
                                (events.CHATBOT_CLEAR, {}, True)):
            ack = await bot.call(event, data, namespace=events.CHATBOT_NAMESPACE, timeout=10)
            if (True if ack["ok"] else ack["error"]["code"]) != ok:
                failures.append(f"{event} as {role}: {ack}")
        await bot.disconnect()
    assert not failures, "\n".join(failures)
    await w.close()


def test_every_chat_route_and_client_event_has_a_row(app):
    covered = {(m, p) for m, p, _, _ in rest_cases("{id}", {"pat": "x"})}
    routes = {(r.method, r.resource.canonical) for r in app.router.routes()
              if r.resource and r.resource.canonical.startswith(("/api/chat", "/ws/chatbot"))
              and r.method not in ("HEAD", "OPTIONS")}
    assert routes - covered == set()
    client_events = {e.name for e in events.CATALOGUE if e.direction == events.IN and e.name.startswith("chat")}
    assert client_events == {events.CHAT_SEND, events.CHAT_MARK_READ, events.CHAT_TYPING, events.CHATBOT_MESSAGE,
                             events.CHATBOT_CLEAR}
