"""Who may call what: every route and client event of the care workflows, for every role.

Roles: anonymous, the patient who owns the data (pat), another patient (other), a doctor
with a grant from pat (doc), a doctor without one (stranger), a pharmacist, an admin.
State-changing calls act on a fresh object for every role, so one role's success does not
change what the next one sees.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.common import new_id
from server.keys import CLOCK, DB
from tests.support.helpers import world

ROLES = ("anonymous", "pat", "other", "doc", "stranger", "ph1", "admin")


def expect(default: int, **per_role: int) -> dict[str, int]:
    """Expected status per role: `default` for the authenticated roles unless named; 401 anonymous."""
    return {"anonymous": 401, **dict.fromkeys(ROLES[1:], default), **per_role}


class Fresh:
    """Objects created straight in the database, one per call of a state-changing route."""

    def __init__(self, app, w) -> None:
        self.db, self.clock, self.w = app[DB], app[CLOCK], w

    async def request(self) -> str:
        _id = new_id()
        # one pending request per doctor and patient (a unique index): the previous one is decided
        await self.db["access_requests"].update_many(
            {"doctor_id": self.w.ids["doc"], "patient_id": self.w.ids["pat"], "status": "pending"},
            {"$set": {"status": "rejected"}})
        await self.db["access_requests"].insert_one({
            "_id": _id, "doctor_id": self.w.ids["doc"], "patient_id": self.w.ids["pat"], "reason": "check",
            "scopes": ["records"], "duration_days": 1, "status": "pending", "created_at": self.clock.now(),
            "decided_at": None, "grant_id": None, "decision_reason": None})
        return _id

    async def grant(self) -> str:
        _id, now = new_id(), self.clock.now()
        await self.db["grants"].insert_one({
            "_id": _id, "doctor_id": self.w.ids["doc"], "patient_id": self.w.ids["pat"], "scopes": ["records"],
            "created_at": now, "expires_at": now + timedelta(days=1), "revoked_at": None, "ended_at": None})
        return _id

    async def prescription(self) -> str:
        _id, now = new_id(), self.clock.now()
        await self.db["prescriptions"].insert_one({
            "_id": _id, "doctor_id": self.w.ids["doc"], "patient_id": self.w.ids["pat"], "notes": "",
            "medications": [{"name": "X", "dose": "1", "frequency": "1", "duration": "1", "quantity": 1,
                             "notes": ""}], "status": "created", "created_at": now, "updated_at": now,
            "history": []})
        return _id


@pytest.fixture
async def setup(api, app):
    w = await world(api)
    await w.grant("doc", "pat")
    pat = w.ids["pat"]
    _, rx = await w.call("doc", "POST", "/api/prescriptions", {"patient_id": pat, "medications": [
        {"name": "X", "dose": "1", "frequency": "1", "duration": "1"}]})
    _, record = await w.call("doc", "POST", f"/api/patients/{pat}/records",
                             {"diagnosis": "flu", "visit_date": "2026-01-02"})
    _, notes = await w.call("pat", "GET", "/api/notifications")
    return w, Fresh(app, w), {"pat": pat, "rx": rx["id"], "record": record["id"], "note": notes["items"][0]["id"]}


def rest_cases(ids: dict, fresh: Fresh) -> list[tuple]:
    """(method, path or async factory of a path, body, expected per role)."""
    pat = ids["pat"]
    ask = {"patient_id": pat, "reason": "check-up", "scopes": ["vitals"], "duration_days": 3}
    rx_body = {"patient_id": pat, "medications": [{"name": "X", "dose": "1", "frequency": "1", "duration": "1"}]}
    record = {"diagnosis": "cold", "visit_date": "2026-01-03"}
    decide = expect(403, pat=200, other=404)

    async def req(action):
        return f"/api/access-requests/{await fresh.request()}/{action}"

    async def rx_status():
        return f"/api/prescriptions/{await fresh.prescription()}/status"

    async def revoke():
        return f"/api/grants/{await fresh.grant()}/revoke"

    return [
        ("GET", "/api/access-requests", None, expect(200, ph1=403, admin=403)),
        ("POST", "/api/access-requests", ask, expect(403, doc=201, stranger=201)),
        ("POST", lambda: req("approve"), None, decide),
        ("POST", lambda: req("reject"), {"reason": "no"}, decide),
        ("GET", "/api/grants", None, expect(200, ph1=403, admin=403)),
        ("POST", revoke, None, expect(403, pat=200, other=404)),
        ("GET", "/api/prescriptions", None, expect(200, admin=403)),
        ("POST", "/api/prescriptions", rx_body, expect(403, doc=201)),
        ("GET", f"/api/prescriptions/{ids['rx']}", None, expect(200, other=404, stranger=404, admin=403)),
        ("POST", rx_status, {"status": "validated"}, expect(403, ph1=200, stranger=404)),
        ("POST", rx_status, {"status": "cancelled", "reason": "r"}, expect(403, doc=200, stranger=404)),
        ("GET", "/api/inventory", None, expect(403, ph1=200)),
        ("POST", "/api/inventory", {"name": "X", "quantity": 5}, expect(403, ph1=200)),
        ("GET", f"/api/patients/{pat}/records", None, expect(403, pat=200, other=404, doc=200)),
        ("POST", f"/api/patients/{pat}/records", record, expect(403, other=404, doc=201)),
        ("GET", f"/api/records/{ids['record']}", None, expect(403, pat=200, other=404, doc=200)),
        ("PATCH", f"/api/records/{ids['record']}", {"notes": "n"}, expect(403, other=404, doc=200)),
        ("GET", "/api/audit/me", None, expect(403, pat=200, other=200)),
        ("GET", "/api/notifications", None, expect(200)),
        ("POST", f"/api/notifications/{ids['note']}/read", None, expect(404, pat=200)),
        ("POST", "/api/notifications/read-all", None, expect(200)),
        ("POST", "/api/symptoms/", {"symptoms": {"fever": True, "cough": False, "fatigue": True,
                                                 "difficulty_breathing": False}, "patient_id": pat},
         expect(403, pat=200, doc=200)),
        ("GET", "/api/doctors/", None, expect(200)),
        # unknown ids: 404 for whoever would otherwise be allowed
        ("POST", "/api/access-requests/nope/approve", None, expect(403, pat=404, other=404)),
        ("POST", "/api/grants/nope/revoke", None, expect(403, pat=404, other=404)),
        ("GET", "/api/prescriptions/nope", None, expect(404, admin=403)),
        ("GET", "/api/records/nope", None, expect(404)),
        ("GET", "/api/patients/nope/records", None, expect(404)),
        ("POST", "/api/notifications/nope/read", None, expect(404)),
    ]


async def test_every_route_for_every_role(setup):
    w, fresh, ids = setup
    failures = []
    for method, path, body, expected in rest_cases(ids, fresh):
        for role in ROLES:
            where = await path() if callable(path) else path
            status, answer = await w.call(None if role == "anonymous" else role, method, where, json=body)
            if status != expected[role]:
                failures.append(f"{method} {where} as {role}: {status} (expected {expected[role]}) {answer}")
            if status >= 400:
                assert set(answer) == {"error"}, answer  # refusals never carry data
    assert not failures, "\n".join(failures)


async def test_every_client_event_for_every_role(setup):
    w, fresh, ids = setup
    devices = {role: await w.device(role) for role in ROLES[1:]}
    mark = {role: "not_found" for role in ROLES[1:]} | {"pat": True}
    cases = [
        ("notification:mark_read", lambda: {"id": ids["note"]}, mark),
        ("notification:mark_read", lambda: {"id": ids["note"], "extra": 1}, dict.fromkeys(ROLES[1:], "invalid")),
        ("notification:mark_all_read", lambda: {}, dict.fromkeys(ROLES[1:], True)),
        ("prescription:set_status", None, {"pat": "role_forbidden", "other": "role_forbidden",
                                           "doc": "transition_forbidden", "stranger": "not_found", "ph1": True,
                                           "admin": "role_forbidden"}),
        ("prescription:set_status", "bad", dict.fromkeys(ROLES[1:], "invalid")),
    ]
    failures = []
    for event, payload, expected in cases:
        for role, device in devices.items():
            if payload is None:
                data = {"id": await fresh.prescription(), "status": "validated"}
            elif payload == "bad":
                data = {"id": await fresh.prescription(), "status": "cancelled"}  # no reason
            else:
                data = payload()
            ack = await device.call(event, data)
            got = True if ack["ok"] else ack["error"]["code"]
            if got != expected[role]:
                failures.append(f"{event} as {role}: {ack}")
            if not ack["ok"]:
                assert set(ack) == {"ok", "error"}
    assert not failures, "\n".join(failures)
    await w.close()
