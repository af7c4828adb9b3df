"""Access requests under races: one pending request per doctor and patient, and an approval that
cannot leave an approved request without its grant."""

from __future__ import annotations

import asyncio

from models.documents import GRANTS
from server.care import access_requests
from server.keys import DB
from tests.support.helpers import world


async def test_concurrent_requests_from_one_doctor_make_one_pending(api, app, monkeypatch):
    w = await world(api)
    # the six requests pass the patient check together, then race to store themselves
    barrier, check = asyncio.Barrier(6), access_requests.require_patient

    async def together(db, patient_id):
        await check(db, patient_id)
        await barrier.wait()
    monkeypatch.setattr(access_requests, "require_patient", together)
    body = {"patient_id": w.ids["pat"], "reason": "follow-up", "scopes": ["vitals"], "duration_days": 7}
    answers = await asyncio.gather(*(w.call("doc", "POST", "/api/access-requests", body) for _ in range(6)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 409, 409, 409, 409, 409], answers
    assert {b["error"]["code"] for s, b in answers if s == 409} == {"request_pending"}
    _, pending = await w.call("pat", "GET", "/api/access-requests?status=pending")
    assert len(pending) == 1
    monkeypatch.undo()
    # once decided, the doctor may ask again
    status, _ = await w.call("pat", "POST", f"/api/access-requests/{pending[0]['id']}/reject")
    assert status == 200
    assert (await w.call("doc", "POST", "/api/access-requests", body))[0] == 201


async def test_an_approval_whose_grant_fails_stays_pending(api, app, monkeypatch):
    w = await world(api)
    status, req = await w.call("doc", "POST", "/api/access-requests", {
        "patient_id": w.ids["pat"], "reason": "follow-up", "scopes": ["vitals"], "duration_days": 7})
    assert status == 201
    # the grant's write fails (its id is taken): the decision must not be kept without it
    await app[DB][GRANTS].insert_one({"_id": "taken", "patient_id": "x", "doctor_id": "y"})
    monkeypatch.setattr(access_requests, "new_id", lambda: "taken")
    status, _ = await w.call("pat", "POST", f"/api/access-requests/{req['id']}/approve")
    assert status == 500
    _, mine = await w.call("pat", "GET", "/api/access-requests")
    assert [(r["id"], r["status"], r["grant_id"]) for r in mine] == [(req["id"], "pending", None)]
    monkeypatch.undo()
    status, decided = await w.call("pat", "POST", f"/api/access-requests/{req['id']}/approve")
    assert status == 200 and decided["status"] == "approved"
    assert await app[DB][GRANTS].find_one({"_id": decided["grant_id"], "request_id": req["id"]}) is not None


async def test_a_revoke_between_the_watch_check_and_the_join_ends_the_watch(api, app, monkeypatch):
    from rooms.access import Rights
    from rooms.names import patient_room
    from server.keys import SIO
    w = await world(api)
    decided = await w.grant("doc", "pat", scopes=("vitals",))
    doc = await w.device("doc")
    checks, require = [], Rights.require

    async def revoked_meanwhile(self, identity, patient_id, scope):
        await require(self, identity, patient_id, scope)
        checks.append(scope)
        if len(checks) == 1:  # the patient revokes right after the watch was checked
            status, _ = await w.call("pat", "POST", f"/api/grants/{decided['grant_id']}/revoke")
            assert status == 200
    monkeypatch.setattr(Rights, "require", revoked_meanwhile)
    ack = await doc.call("vitals:watch", {"patient_id": w.ids["pat"]})
    assert not ack["ok"] and ack["error"]["code"] == "no_grant", ack
    assert patient_room(w.ids["pat"]) not in app[SIO].rooms(doc.client.get_sid())
    assert doc.of("vitals:snapshot") == []
