"""The authorization table: every REST route and every client event, for every role and for devices,
on the patient's own data (pat), data granted to a doctor (doc) and data nobody granted (other,
stranger). Built from `app.router.routes()` and the event catalogue: a route or event without a
row fails `test_every_route_and_event_has_a_row` with the row to add.

Roles run in this order: the refused ones first, then doc, then pat, so a refusal never meets an
object a success already changed; rows whose several successes would collide get a fresh object
per role (`fresh.<kind>`). Refusals never carry data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import socketio

from server.http.openapi import excluded
from server.keys import ALERTS
from server.realtime import events
from tests.contract.cast import WEBHOOK_SECRET, Cast, cast, ok

USERS = ("anonymous", "device", "other", "stranger", "ph1", "admin", "doc", "pat")
NOT_USERS = {"anonymous": 401, "device": 401}  # a device token is not a user's


def expect(default: int, **per_role: int) -> dict[str, int]:
    return {**dict.fromkeys(USERS, default), **NOT_USERS, **per_role}


def anyone(status: int = 200) -> dict[str, int]:
    return expect(status)


@dataclass
class Row:
    method: str
    path: str  # the route's path with {names} of cast ids, or `fresh.<kind>` objects
    expected: dict[str, int]
    body: object = None
    headers: dict = field(default_factory=dict)


_T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
ONCALL = {"doctor_id": "{doc}", "from": "{fresh.shift_from}", "to": "{fresh.shift_to}"}  # a new shift per call
RX = {"patient_id": "{pat}", "medications": [{"name": "X", "dose": "1", "frequency": "1", "duration": "1"}]}
DENIED_CARE = {"other": 404, "stranger": 403, "ph1": 403, "admin": 403}

REST = [
    Row("GET", "/health", expect(200, anonymous=200, device=200)),
    Row("GET", "/ready", expect(200, anonymous=200, device=200)),
    Row("GET", "/api/openapi.json", expect(200, anonymous=200, device=200)),
    Row("GET", "/api/docs", expect(200, anonymous=200, device=200)),
    # accounts
    Row("POST", "/api/token/", expect(401, anonymous=401), {"username": "nobody", "password": "wrong-password-1"}),
    Row("POST", "/api/token/refresh/", expect(401), {"refresh": "not-a-token"}),
    Row("POST", "/api/token/revoke/", expect(401), {"refresh": "not-a-token"}),
    Row("GET", "/api/me", anyone()),
    Row("PUT", "/api/me/timezone", anyone(), {"timezone": "Africa/Dakar"}),
    Row("POST", "/api/register/", expect(400, anonymous=400, device=400), {"username": "x"}),
    Row("POST", "/api/users/", expect(403, admin=400), {"username": "x"}),
    Row("GET", "/api/users/", expect(403, admin=200)),
    Row("GET", "/api/doctors/", anyone()),
    # notifications
    Row("GET", "/api/notifications", anyone()),
    Row("POST", "/api/notifications/read-all", anyone()),
    Row("POST", "/api/notifications/{note}/read", expect(404, pat=200)),
    # access
    Row("GET", "/api/access-requests", expect(200, ph1=403, admin=403)),
    Row("POST", "/api/access-requests", expect(403, doc=201, stranger=201),
        {"patient_id": "{pat}", "reason": "check-up", "scopes": ["vitals"], "duration_days": 3}),
    Row("POST", "/api/access-requests/{fresh.request}/approve", expect(403, pat=200, other=404)),
    Row("POST", "/api/access-requests/{fresh.request}/reject", expect(403, pat=200, other=404), {"reason": "no"}),
    Row("GET", "/api/grants", expect(200, ph1=403, admin=403)),
    Row("POST", "/api/grants/{fresh.grant}/revoke", expect(403, pat=200, other=404)),
    # prescriptions and stock
    Row("GET", "/api/prescriptions", expect(200, admin=403)),
    Row("POST", "/api/prescriptions", expect(403, doc=201), RX),
    Row("GET", "/api/prescriptions/{rx}", expect(200, other=404, stranger=404, admin=403)),
    Row("POST", "/api/prescriptions/{fresh.prescription}/status", expect(403, ph1=200, stranger=404),
        {"status": "validated"}),
    Row("GET", "/api/inventory", expect(403, ph1=200)),
    Row("POST", "/api/inventory", expect(403, ph1=200), {"name": "X", "quantity": 5}),
    # records
    Row("GET", "/api/patients/{pat}/records", expect(403, pat=200, doc=200, other=404)),
    Row("POST", "/api/patients/{pat}/records", expect(403, doc=201, other=404),
        {"diagnosis": "cold", "visit_date": "2026-01-03"}),
    Row("GET", "/api/records/{record}", expect(403, pat=200, doc=200, other=404)),
    Row("PATCH", "/api/records/{record}", expect(403, doc=200, other=404), {"notes": "n"}),
    Row("GET", "/api/audit/me", expect(403, pat=200, other=200)),
    # devices (admin) and device data (device token)
    Row("POST", "/api/iot/devices", expect(403, admin=400), {"name": "x"}),
    Row("GET", "/api/iot/devices", expect(400, admin=200, pat=200, other=200)),  # patients: their own
    Row("GET", "/api/iot/devices/{device}", expect(403, admin=200, pat=200, doc=200)),
    Row("PATCH", "/api/iot/devices/{device}", expect(403, admin=200), {"name": "Bedside"}),
    Row("POST", "/api/iot/devices/{fresh.device}/rotate", expect(403, admin=200)),
    Row("POST", "/api/iot/devices/{fresh.device}/revoke", expect(403, admin=200)),
    Row("POST", "/api/iot/devices/{device}/commands", expect(403, admin=201), {"command": "reboot"}),
    Row("GET", "/api/iot/devices/{device}/commands", expect(403, admin=200)),
    Row("GET", "/api/iot/devices/{device}/rejected", expect(403, admin=200)),
    Row("GET", "/api/iot/sessions", expect(403, admin=200)),
    Row("POST", "/api/iot/data", expect(401, device=200), {"seq": 1, "readings": {"heart_rate": 72}}),
    Row("POST", "/api/iot/batch", expect(401, device=200),
        {"measurements": [{"seq": 2, "readings": {"heart_rate": 70}}]}),
    Row("POST", "/api/iot/heartbeat", expect(401, device=200), {"battery": 90}),
    Row("POST", "/api/iot/lorawan/tts", expect(401), {}),
    Row("POST", "/api/iot/lorawan/tts", expect(200, anonymous=200, device=200), {"end_device_ids": {}},
        {"X-Webhook-Secret": WEBHOOK_SECRET}),
    Row("POST", "/api/iot/lorawan/chirpstack", expect(401), {}),
    # vitals and alerts
    Row("GET", "/api/iot/patients/{pat}/vitals/latest", expect(403, pat=200, doc=200, other=403)),
    Row("GET", "/api/iot/patients/{pat}/vitals/history?kind=heart_rate", expect(403, pat=200, doc=200, other=403)),
    Row("GET", "/api/iot/patients/{pat}/vitals/statistics", expect(403, pat=200, doc=200, other=403)),
    Row("GET", "/api/iot/patients/{pat}/news2", expect(403, pat=200, doc=200, other=403)),
    Row("POST", "/api/iot/patients/{pat}/observations", expect(403, doc=201), {"consciousness": "A"}),
    Row("GET", "/api/iot/patients/{pat}/alert-rules", expect(403, pat=200, doc=200)),
    Row("PUT", "/api/iot/patients/{pat}/alert-rules", expect(403, doc=200), {"overrides": {}, "reason": "review"}),
    Row("GET", "/api/iot/patients/{pat}/alert-rules/audit", expect(403, doc=200)),
    Row("GET", "/api/iot/alerts", anyone()),
    Row("GET", "/api/iot/alerts/active", anyone()),
    Row("GET", "/api/iot/alerts/critical", anyone()),
    Row("GET", "/api/iot/alerts/{alert}", expect(404, pat=200, doc=200)),
    Row("POST", "/api/iot/alerts/{alert}/acknowledge", expect(403, doc=200, stranger=404), {"comment": "seen"}),
    Row("POST", "/api/iot/alerts/{alert}/clear", expect(403, doc=200, stranger=404), {"comment": "ok"}),
    # care units
    Row("POST", "/api/care-units/", expect(403, admin=201), {"name": "Ward B"}),
    Row("GET", "/api/care-units/", expect(403, admin=200, doc=200, stranger=200)),
    Row("GET", "/api/care-units/{unit}", expect(403, admin=200, doc=200)),
    Row("GET", "/api/care-units/{unit}/summary", expect(403, doc=200)),
    Row("POST", "/api/care-units/{unit}/staff", expect(403, admin=200), {"user_id": "{stranger}"}),
    Row("DELETE", "/api/care-units/{unit}/staff/{stranger}", expect(403, admin=200)),
    Row("POST", "/api/care-units/{unit}/patients", expect(403, admin=200), {"user_id": "{other}"}),
    Row("DELETE", "/api/care-units/{unit}/patients/{other}", expect(403, admin=200)),
    # seniors (admins name them among staff) edit the on-call rota; staff and admins read it
    Row("POST", "/api/care-units/{unit}/seniors", expect(403, admin=400), {"user_id": "{stranger}"}),  # not staff
    Row("POST", "/api/care-units/{unit}/seniors", expect(403, admin=200), {"user_id": "{doc}"}),
    Row("GET", "/api/care-units/{unit}/oncall", expect(403, admin=200, doc=200)),
    Row("POST", "/api/care-units/{unit}/oncall", expect(403, admin=201, doc=201), ONCALL),
    Row("DELETE", "/api/care-units/{unit}/oncall/{fresh.oncall}", expect(403, admin=204, doc=204)),
    Row("DELETE", "/api/care-units/{unit}/seniors/{doc}", expect(403, admin=200)),
    Row("POST", "/api/care-units/{unit}/oncall", expect(403, admin=201), ONCALL),  # doc: no longer a senior
    Row("DELETE", "/api/care-units/{unit}/oncall/{fresh.oncall}", expect(403, admin=204)),
    # names only of related people: everyone signed in gets 200 (content: tests/handlers/test_people_names.py)
    Row("GET", "/api/people/names?ids={pat},{doc},{other}", anyone()),
    # not a user route: 404 for everyone while METRICS_TOKEN/METRICS_ALLOW are unset (tests/server/ops)
    Row("GET", "/metrics", expect(404, anonymous=404, device=404)),
    # symptoms, chatbot, chat
    Row("POST", "/api/symptoms/", expect(403, pat=200, doc=200, stranger=403),
        {"symptoms": {"fever": True, "cough": False, "fatigue": True, "difficulty_breathing": False},
         "patient_id": "{pat}"}),
    Row("GET", "/api/symptoms/model", anyone()),
    Row("GET", "/api/chatbot/history/", anyone()),
    Row("DELETE", "/api/chatbot/history/", anyone()),
    Row("POST", "/api/chat/conversations/", expect(403, doc=200, pat=404), {"with_user_id": "{pat}"}),
    Row("GET", "/api/chat/conversations/", expect(200, admin=403)),
    Row("GET", "/api/chat/conversations/{conversation}/messages/", expect(404, pat=200, doc=200, admin=403)),
    Row("POST", "/api/chat/conversations/{conversation}/messages/", expect(404, pat=201, doc=201, admin=403),
        {"text": "hello"}),
    Row("POST", "/api/chat/conversations/{conversation}/read/", expect(404, pat=200, doc=200, admin=403),
        {"seq": 1}),
    # scheduling and treatments
    Row("POST", "/api/slots/", expect(403, doc=201, stranger=201),
        {"start": (_T0 + timedelta(days=1)).isoformat(), "end": (_T0 + timedelta(days=1, minutes=30)).isoformat()}),
    Row("GET", "/api/slots/available/", expect(403, pat=200, other=200)),
    Row("POST", "/api/slots/reserve/", expect(403, pat=201, other=201),  # any patient books any open slot
        {"slot_id": "{fresh.slot}", "doctor_id": "{doc}"}),
    Row("GET", "/api/appointments/doctor/", expect(403, doc=200, stranger=200)),
    Row("GET", "/api/appointments/patient/", expect(403, pat=200, other=200)),
    Row("POST", "/api/appointments/{fresh.appointment}/cancel/", expect(403, pat=200, doc=200, other=404,
                                                                       stranger=404), {"reason": "ill"}),
    # a doctor names the patient
    Row("GET", "/api/treatments/", expect(403, pat=200, other=200, doc=400, stranger=400)),
    Row("GET", "/api/treatments/?patient_id={pat}", expect(403, pat=200, doc=200, other=404)),
    Row("POST", "/api/treatments/", expect(403, pat=201, doc=201, other=404),
        {"medocs_name": "Ibuprofen", "frequency": 1, "duration_days": 3, "patient_id": "{pat}"}),
    Row("GET", "/api/treatments/{treatment}/", expect(403, pat=200, doc=200, other=404, stranger=404)),
    Row("PUT", "/api/treatments/{fresh.treatment}/", expect(403, pat=200, other=404, stranger=404),
        {"frequency": 3}),
    Row("DELETE", "/api/treatments/{fresh.treatment}/", expect(403, pat=204, other=404, stranger=404)),  # doc: not his
    Row("GET", "/api/treatments/{treatment}/intakes/", expect(403, pat=200, doc=200, other=404, stranger=404)),
    Row("POST", "/api/treatments/{treatment}/intakes/", expect(403, pat=400, other=404),
        {"due_at": "2020-01-01T08:00:00Z", "status": "taken"}),
    Row("GET", "/api/treatments/{treatment}/adherence/", expect(403, pat=200, doc=200, other=404, stranger=404)),
]


def test_every_route_and_event_has_a_row(app):
    rows = {(r.method, r.path.split("?")[0].replace("{fresh.", "{")) for r in REST}
    templates = {(m, _template(p)) for m, p in rows}
    missing = []
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS") or route.resource is None:
            continue
        path = route.resource.canonical
        if excluded(path) is None and (route.method, _template(path)) not in templates:
            missing.append(f"REST {route.method} {path}: add a Row to tests/contract/test_authorization.py REST")
    for event in events.CATALOGUE:
        if event.direction == events.IN and event.name not in SOCKET:
            missing.append(f"event {event.name}: add it to tests/contract/test_authorization.py SOCKET")
    assert not missing, "\n".join(missing)


def _template(path: str) -> tuple:
    return tuple("{}" if part.startswith("{") else part for part in path.split("/"))


class Fresh:
    """A new object per call, for rows whose successes would collide."""

    def __init__(self, the: Cast, app) -> None:
        self.the, self.app, self.w = the, app, the.world
        self.n = 0

    async def make(self, kind: str) -> str:
        self.n += 1
        w, ids = self.w, self.the.ids
        if kind in ("request", "grant") and "asker" not in w.ids:  # a doctor of its own: grants stay out of the table
            await w.add("asker", "doctor")
        if kind in ("request", "grant"):  # one pending request per doctor and patient: decide the last one
            for req in await ok(w, "pat", "GET", "/api/access-requests?status=pending"):
                await ok(w, "pat", "POST", f"/api/access-requests/{req['id']}/reject", {"reason": "next"})
        if kind == "request":
            made = await ok(w, "asker", "POST", "/api/access-requests", {
                "patient_id": ids["pat"], "reason": f"request {self.n}", "scopes": ["vitals"], "duration_days": 1})
            return made["id"]
        if kind == "grant":
            req = await ok(w, "asker", "POST", "/api/access-requests", {
                "patient_id": ids["pat"], "reason": f"grant {self.n}", "scopes": ["vitals"], "duration_days": 1})
            return (await ok(w, "pat", "POST", f"/api/access-requests/{req['id']}/approve"))["grant_id"]
        if kind == "prescription":
            return (await ok(w, "doc", "POST", "/api/prescriptions", _fill(RX, ids)))["id"]
        if kind == "device":
            mac = f"AA:BB:CC:DD:{self.n // 256:02X}:{self.n % 256:02X}"
            made = await ok(w, "admin", "POST", "/api/iot/devices", {"name": "spare", "type": "multi_sensor",
                                                                      "mac": mac})
            return made["id"]
        if kind in ("slot", "appointment"):
            start = _T0 + timedelta(days=2, hours=self.n)
            slot = await ok(w, "doc", "POST", "/api/slots/", {"start": start.isoformat(),
                                                               "end": (start + timedelta(minutes=30)).isoformat()})
            slot_id = slot["id"] if "id" in slot else slot["slots"][0]["id"]
            if kind == "slot":
                return slot_id
            booked = await ok(w, "pat", "POST", "/api/slots/reserve/", {"slot_id": slot_id, "doctor_id": ids["doc"]})
            return booked["appointment"]["id"]
        if kind == "treatment":
            return (await ok(w, "pat", "POST", "/api/treatments/", {"medocs_name": "Zinc", "frequency": 1,
                                                                     "duration_days": 2}))["id"]
        if kind == "shift_from":  # then shift_to: an 8-hour shift of its own, so two successes never overlap
            self.shift = _T0 + timedelta(days=10 + self.n)
            return self.shift.isoformat()
        if kind == "shift_to":
            return (self.shift + timedelta(hours=8)).isoformat()
        if kind == "oncall":
            start = _T0 + timedelta(days=5, hours=self.n)
            made = await ok(w, "admin", "POST", f"/api/care-units/{ids['unit']}/oncall", {
                "doctor_id": ids["doc"], "from": start.isoformat(), "to": (start + timedelta(minutes=30)).isoformat()})
            return made["id"]
        raise AssertionError(kind)


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


async def _expand(text, fresh: Fresh, ids: dict):
    """Replace {fresh.kind} with a new object and {name} with the cast's id."""
    if isinstance(text, dict):
        return {k: await _expand(v, fresh, ids) for k, v in text.items()}
    if isinstance(text, list):
        return [await _expand(v, fresh, ids) for v in text]
    if not isinstance(text, str):
        return text
    while "{fresh." in text:
        start = text.index("{fresh.")
        end = text.index("}", start)
        text = text[:start] + await fresh.make(text[start + 7:end]) + text[end + 1:]
    return _fill(text, ids)


async def _add_alert(app, the: Cast) -> None:
    doc, _ = await app[ALERTS].upsert(patient_id=the.ids["pat"], type="spo2_low", severity="critical", value=85,
                                      category="threshold")
    the.ids["alert"] = doc["_id"]


async def test_every_route_for_every_role(api, app):
    the = await cast(api)
    await _add_alert(app, the)
    fresh = Fresh(the, app)
    failures = []
    for row in REST:
        for role in USERS:
            path = await _expand(row.path, fresh, the.ids)
            body = await _expand(row.body, fresh, the.ids)
            token = the.device_token if role == "device" else the.token(role)
            status, answer = await api.call(row.method, path, token, json=body, headers=dict(row.headers))
            if status != row.expected[role]:
                failures.append(f"{row.method} {row.path} as {role}: {status} (expected {row.expected[role]}) "
                                f"{str(answer)[:160]}")
            elif status in (403, 404) and isinstance(answer, dict):
                assert set(answer) == {"error"}, answer  # refusals never carry data
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures)


# -- socket events: name -> variants of (payload with {names}, expected ack per role: "ok" or the error code).
# Users send on `/` (the chatbot's on `/chatbot`), the device on `/devices`; an event of the other
# namespace is `unknown_event` there. Anonymous sockets are refused at the handshake (test below).
SOCKET_ROLES = ("device", "other", "stranger", "ph1", "admin", "doc", "pat")


def acks(default: str, *, device: str = "unknown_event", **per_role: str) -> dict[str, str]:
    return {**dict.fromkeys(SOCKET_ROLES, default), "device": device, **per_role}


DEVICE_ONLY = acks("unknown_event", device="ok")
SOCKET: dict[str, list[tuple[object, dict[str, str]]]] = {
    events.AUTH_REFRESH: [({"token": "{own_token}"}, acks("ok")),
                          ({"token": "{pat_token}"}, acks("token_invalid", pat="ok"))],
    events.UNIT_WATCH: [({"unit_id": "{unit}"}, acks("not_unit_staff", doc="ok"))],
    events.UNIT_UNWATCH: [({"unit_id": "{unit}"}, acks("ok"))],
    events.NOTIFICATION_MARK_READ: [({"id": "{note}"}, acks("not_found", pat="ok"))],
    events.NOTIFICATION_MARK_ALL_READ: [({}, acks("ok"))],
    events.PRESCRIPTION_SET_STATUS: [({"id": "{fresh.prescription}", "status": "validated"},
                                      acks("role_forbidden", ph1="ok", doc="transition_forbidden",
                                           stranger="not_found"))],
    events.VITALS_WATCH: [({"patient_id": "{pat}"}, acks("no_grant", pat="ok", doc="ok"))],
    events.VITALS_UNWATCH: [({"patient_id": "{pat}"}, acks("ok"))],
    events.CHATBOT_MESSAGE: [({"message": "What is a normal heart rate?"}, acks("ok"))],
    events.CHATBOT_CLEAR: [({}, acks("ok"))],
    events.CHAT_SEND: [({"conversation_id": "{conversation}", "text": "hello"},
                        acks("conversation_not_found", pat="ok", doc="ok", admin="role_forbidden"))],
    events.CHAT_TYPING: [({"conversation_id": "{conversation}", "typing": True},
                          acks("conversation_not_found", pat="ok", doc="ok", admin="role_forbidden"))],
    events.CHAT_MARK_READ: [({"conversation_id": "{conversation}", "seq": 1},
                             acks("conversation_not_found", pat="ok", doc="ok", admin="role_forbidden"))],
    events.VITALS_SEND: [({"seq": 10, "readings": {"heart_rate": 71}}, DEVICE_ONLY)],
    events.DEVICE_HEARTBEAT: [({"battery": 80}, DEVICE_ONLY)],
    events.DEVICE_ALERT: [({"code": "sensor_fault", "message": "probe off"}, DEVICE_ONLY)],
    events.COMMAND_ACK: [({"command_id": "{command}", "ok": True}, DEVICE_ONLY)],
}
NAMESPACE = {events.CHATBOT_MESSAGE: events.CHATBOT_NAMESPACE, events.CHATBOT_CLEAR: events.CHATBOT_NAMESPACE,
             **dict.fromkeys((events.VITALS_SEND, events.DEVICE_HEARTBEAT, events.DEVICE_ALERT, events.COMMAND_ACK),
                             events.DEVICES_NAMESPACE)}


async def _sockets(api, the: Cast) -> dict[str, socketio.AsyncClient]:
    clients = {}
    for role in SOCKET_ROLES:
        client = socketio.AsyncClient(reconnection=False)
        if role == "device":
            await client.connect(api.base_url, auth={"device_id": the.ids["device"], "token": the.device_token},
                                 transports=["websocket"], namespaces=[events.DEVICES_NAMESPACE], wait_timeout=10)
        else:
            await client.connect(api.base_url, auth={"token": the.token(role)}, transports=["websocket"],
                                 namespaces=["/", events.CHATBOT_NAMESPACE], wait_timeout=10)
        clients[role] = client
    return clients


async def test_every_event_for_every_role(api, app):
    the = await cast(api)
    fresh = Fresh(the, app)
    command = await ok(the.world, "admin", "POST", f"/api/iot/devices/{the.ids['device']}/commands",
                       {"command": "reboot"})
    the.ids.update(command=command["id"], pat_token=the.token("pat"))
    clients = await _sockets(api, the)
    failures = []
    try:
        for name, variants in SOCKET.items():
            for payload, expected in variants:
                for role in SOCKET_ROLES:
                    ids = {**the.ids, "own_token": the.token(role) or ""}
                    data = await _expand(payload, fresh, ids)
                    if role == "device":
                        ns = events.DEVICES_NAMESPACE
                    else:
                        ns = NAMESPACE.get(name, "/")
                        ns = "/" if ns == events.DEVICES_NAMESPACE else ns
                    ack = await clients[role].call(name, data, namespace=ns, timeout=20)
                    got = "ok" if ack.get("ok") else ack["error"]["code"]
                    if got != expected[role]:
                        failures.append(f"{name} {payload} as {role}: {got} (expected {expected[role]}) "
                                        f"{str(ack)[:160]}")
                    elif not ack.get("ok"):
                        assert set(ack) == {"ok", "error"}, ack  # refusals never carry data
    finally:
        for client in clients.values():
            await client.disconnect()
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures)


async def test_anonymous_sockets_are_refused_in_every_namespace(api):
    for namespace in ("/", events.CHATBOT_NAMESPACE, events.DEVICES_NAMESPACE):
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(api.base_url, auth={}, transports=["websocket"], namespaces=[namespace],
                                 wait_timeout=10)
