"""The care workflows end to end, with real socket.io clients for every person involved."""

from __future__ import annotations

import asyncio

import pytest

from rooms.names import patient_room
from server.keys import SIO
from tests.support.helpers import settle, world

NOTIFY = "notification:new"


@pytest.fixture
async def w(api):
    """The cast; every device still connected at the end is closed, even when a test fails."""
    cast = await world(api)
    yield cast
    await cast.close()


def inbox(device) -> list[str]:
    return device.inbox_types()


async def test_access_request_notify_approve_notify_and_revoke(w, app):
    devices = {name: await w.device(name) for name in ("pat", "doc", "other", "ph1")}
    status, req = await w.call("doc", "POST", "/api/access-requests", {
        "patient_id": w.ids["pat"], "reason": "cardiology follow-up", "scopes": ["vitals", "records", "vitals"],
        "duration_days": 30})
    assert status == 201 and req["status"] == "pending" and req["scopes"] == ["records", "vitals"]
    await settle(app[SIO], devices, w.ids)
    assert inbox(devices["pat"]) == ["access_request:new"]
    note = devices["pat"].new[0]
    assert note["link"] == {"type": "access_request", "id": req["id"]}
    assert "follow" not in note["body"]["en"] and "30 days" in note["body"]["en"] and "30 jours" in note["body"]["fr"]
    assert devices["pat"].of("access_request:new")[0]["id"] == req["id"]  # the dashboard list
    assert all(inbox(devices[n]) == [] and not devices[n].of("access_request:new") for n in ("doc", "other", "ph1"))

    status, again = await w.call("doc", "POST", "/api/access-requests", {
        "patient_id": w.ids["pat"], "reason": "again", "scopes": ["vitals"], "duration_days": 1})
    assert status == 409 and again["error"]["code"] == "request_pending"
    assert (await w.call("doc", "GET", "/api/access-requests"))[1][0]["id"] == req["id"]
    assert (await w.call("pat", "GET", "/api/access-requests?status=pending"))[1][0]["id"] == req["id"]
    assert (await w.call("other", "GET", "/api/access-requests"))[1] == []
    assert (await w.call("other", "POST", f"/api/access-requests/{req['id']}/approve"))[0] == 404

    status, decided = await w.call("pat", "POST", f"/api/access-requests/{req['id']}/approve")
    assert status == 200 and decided["status"] == "approved" and decided["grant_id"]
    await settle(app[SIO], devices, w.ids)
    assert inbox(devices["doc"]) == ["access_request:status_changed"]
    assert devices["doc"].new[0]["title"] == {"fr": "Demande d'accès approuvée", "en": "Access request approved"}
    for name in ("doc", "pat"):  # both dashboards
        assert devices[name].of("access_request:status_changed")[0]["status"] == "approved"
    assert (await w.call("pat", "POST", f"/api/access-requests/{req['id']}/reject"))[1]["error"]["code"] == \
        "already_decided"
    _, grants = await w.call("doc", "GET", "/api/grants")
    assert [g["id"] for g in grants] == [decided["grant_id"]] and grants[0]["scopes"] == ["records", "vitals"]
    status, records = await w.call("doc", "GET", f"/api/patients/{w.ids['pat']}/records")
    assert status == 200 and records == []

    # The doctor watches the patient live (as vitals:watch would), then the patient revokes.
    sio = app[SIO]
    await sio.enter_room(devices["doc"].client.get_sid(), patient_room(w.ids["pat"]))
    assert (await w.call("doc", "POST", f"/api/grants/{decided['grant_id']}/revoke"))[0] == 403
    status, revoked = await w.call("pat", "POST", f"/api/grants/{decided['grant_id']}/revoke")
    assert status == 200 and revoked["revoked_at"]
    await settle(sio, devices, w.ids)
    assert inbox(devices["doc"])[-1] == "grant:revoked"
    assert devices["doc"].of("grant:revoked") and devices["pat"].of("grant:revoked")
    await sio.emit("vitals:test", {"hr": 80}, room=patient_room(w.ids["pat"]))
    await settle(sio, devices, w.ids)
    assert devices["doc"].of("vitals:test") == []  # left the patient's room at once
    assert (await w.call("doc", "GET", f"/api/patients/{w.ids['pat']}/records"))[0] == 403
    assert (await w.call("doc", "GET", "/api/grants"))[1] == []
    assert len((await w.call("doc", "GET", "/api/grants?include_ended=true"))[1]) == 1
    assert (await w.call("pat", "POST", f"/api/grants/{decided['grant_id']}/revoke"))[0] == 409

    status, req2 = await w.call("stranger", "POST", "/api/access-requests", {
        "patient_id": w.ids["pat"], "reason": "second opinion", "scopes": ["records"], "duration_days": 2})
    status, rejected = await w.call("pat", "POST", f"/api/access-requests/{req2['id']}/reject",
                                    {"reason": "no thanks"})
    assert status == 200 and rejected["status"] == "rejected" and rejected["grant_id"] is None
    assert (await w.call("stranger", "GET", "/api/grants"))[1] == []
    for device in devices.values():
        await device.disconnect()


async def test_prescription_through_every_status_with_stock(w, app):
    await w.grant("doc", "pat")
    names = ("pat", "doc", "stranger", "other", "ph1", "ph2", "admin")
    devices = {name: await w.device(name) for name in names}
    for body in ({"name": "Amoxicilline 500mg", "quantity": 12, "threshold": 10},
                 {"name": "Paracétamol", "quantity": 1}):
        status, stock = await w.call("ph1", "POST", "/api/inventory", body)
        assert status == 200, stock
    meds = [{"name": "amoxicilline  500MG", "dose": "500 mg", "frequency": "3/day", "duration": "7 days",
             "quantity": 3}, {"name": "Paracétamol", "dose": "1 g", "frequency": "if pain", "duration": "3 days"}]
    status, rx = await w.call("doc", "POST", "/api/prescriptions", {"patient_id": w.ids["pat"], "medications": meds})
    assert status == 201 and rx["status"] == "created"
    await settle(app[SIO], devices, w.ids)
    assert inbox(devices["pat"]) == ["prescription:new"]
    assert inbox(devices["ph1"]) == inbox(devices["ph2"]) == ["prescription:new"]
    assert devices["ph2"].of("prescription:new")[0]["id"] == rx["id"]
    assert devices["ph2"].of("inventory:updated")[-1]["quantity"] == 1  # restocks seen by every pharmacist
    for name in ("stranger", "other", "admin", "doc"):
        assert not devices[name].of("prescription:new") and not devices[name].new, name

    path = f"/api/prescriptions/{rx['id']}/status"
    assert (await w.call("ph1", "POST", path, {"status": "validated"}))[0] == 200
    status, body = await w.call("ph2", "POST", path, {"status": "validated"})
    assert status == 409 and body["error"]["code"] == "invalid_transition"
    assert (await w.call("doc", "POST", path, {"status": "prepared"}))[1]["error"]["code"] == "transition_forbidden"
    assert (await w.call("pat", "POST", path, {"status": "prepared"}))[0] == 403
    # Two pharmacists prepare at once: one wins, the other gets 409, stock is taken once.
    results = await asyncio.gather(w.call("ph1", "POST", path, {"status": "prepared"}),
                                   w.call("ph2", "POST", path, {"status": "prepared"}))
    assert sorted(s for s, _ in results) == [200, 409]
    _, stock = await w.call("ph2", "GET", "/api/inventory")
    assert {s["id"]: s["quantity"] for s in stock} == {"amoxicilline 500mg": 9, "paracétamol": 0}
    status, body = await w.call("ph1", "POST", path, {"status": "delivered"})
    assert status == 409 and body["error"]["details"] == {"from": "prepared", "to": "delivered"}
    ack = await devices["ph2"].call("prescription:set_status", {"id": rx["id"], "status": "ready"})
    assert ack["ok"] and ack["data"]["status"] == "ready"
    assert (await devices["pat"].call("prescription:set_status", {"id": rx["id"], "status": "delivered"}))[
        "error"]["code"] == "role_forbidden"
    status, done = await w.call("ph1", "POST", path, {"status": "delivered"})
    assert status == 200 and [h["to"] for h in done["history"]] == [
        "created", "validated", "prepared", "ready", "delivered"]
    assert next(h["by"] for h in done["history"]) == w.ids["doc"]
    assert [h["by"] for h in done["history"]][3:] == [w.ids["ph2"], w.ids["ph1"]]
    assert done["history"][-1]["role"] == "pharmacist" and done["history"][-1]["at"]
    assert (await w.call("doc", "POST", path, {"status": "cancelled", "reason": "late"}))[0] == 409

    await settle(app[SIO], devices, w.ids)
    expected = ["validated", "prepared", "ready", "delivered"]
    for name in ("pat", "doc"):
        changed = [n for n in devices[name].new if n["type"] == "prescription:status_changed"]
        assert [n["data"]["status"] for n in changed] == expected, name
    assert [n["data"]["by"] for n in devices["pat"].new[1:] if n["type"] == "prescription:status_changed"][-1] \
        == w.ids["ph1"]
    # delivered: "3/day" for "7 days" became a treatment; "if pain" did not (server/treatments/prescribed.py)
    last = devices["pat"].new[-1]
    assert last["type"] == "treatment:created" and "amoxicilline" in last["body"]["en"]
    for name in ("ph1", "ph2"):  # queue screens follow every change; their inbox only has the new one
        assert [p["status"] for p in devices[name].of("prescription:status_changed")] == expected
        assert inbox(devices[name]) == ["prescription:new"]
    low = devices["ph1"].of("inventory:low_stock")
    # sent when a decrement crosses the threshold (12 → 9 < 10); Paracétamol was already under its own
    assert [(x["name"], x["quantity"], x["threshold"]) for x in low] == [("Amoxicilline 500mg", 9, 10)]
    for name in ("stranger", "other", "admin"):
        assert devices[name].events == [e for e in devices[name].events if e[0].startswith(("notification:", "test:"))]
        assert devices[name].new == [], name

    # Short stock: refused with the shortfall, nothing changes; the doctor cancels with a reason.
    status, rx2 = await w.call("doc", "POST", "/api/prescriptions", {"patient_id": w.ids["pat"], "medications": meds})
    path2 = f"/api/prescriptions/{rx2['id']}/status"
    assert (await w.call("ph1", "POST", path2, {"status": "validated"}))[0] == 200
    status, body = await w.call("ph1", "POST", path2, {"status": "prepared"})
    assert status == 409 and body["error"]["code"] == "insufficient_stock"
    assert body["error"]["details"][0]["name"] == "paracétamol" and body["error"]["details"][0]["needed"] == 1
    assert (await w.call("ph1", "GET", f"/api/prescriptions/{rx2['id']}"))[1]["status"] == "validated"
    _, stock = await w.call("ph1", "GET", "/api/inventory")
    assert {s["id"]: s["quantity"] for s in stock} == {"amoxicilline 500mg": 9, "paracétamol": 0}
    status, body = await w.call("doc", "POST", path2, {"status": "cancelled"})
    assert status == 400 and body["error"]["details"][0]["message"].endswith("status cancelled")
    assert (await w.call("stranger", "POST", path2, {"status": "cancelled", "reason": "x"}))[0] == 404
    status, cancelled = await w.call("doc", "POST", path2, {"status": "cancelled", "reason": "allergy"})
    assert status == 200 and cancelled["history"][-1]["reason"] == "allergy"

    assert [p["id"] for p in (await w.call("ph2", "GET", "/api/prescriptions?status=delivered"))[1]] == [rx["id"]]
    assert {p["id"] for p in (await w.call("pat", "GET", "/api/prescriptions"))[1]} == {rx["id"], rx2["id"]}
    assert len((await w.call("doc", "GET", "/api/prescriptions"))[1]) == 2
    assert (await w.call("other", "GET", "/api/prescriptions"))[1] == []
    assert (await w.call("other", "GET", f"/api/prescriptions/{rx['id']}"))[0] == 404
    for device in devices.values():
        await device.disconnect()


async def test_record_creation_update_and_audit_trail(w, app):
    await w.grant("doc", "pat", scopes=("records",))
    await w.grant("stranger", "other", scopes=("records",))  # a grant for someone else is no help
    devices = {name: await w.device(name) for name in ("pat", "doc", "other")}
    entry = {"diagnosis": "Hypertension", "notes": "BP 150/95", "visit_date": "2026-03-02",
             "attachments": [{"name": "ecg.pdf", "content_type": "application/pdf", "size": 12345}]}
    records = f"/api/patients/{w.ids['pat']}/records"
    status, record = await w.call("doc", "POST", records, entry)
    assert status == 201 and record["doctor_id"] == w.ids["doc"] and record["visit_date"] == "2026-03-02"
    status, changed = await w.call("doc", "PATCH", f"/api/records/{record['id']}", {"notes": "BP 140/90"})
    assert status == 200 and changed["notes"] == "BP 140/90" and changed["diagnosis"] == "Hypertension"
    await settle(app[SIO], devices, w.ids)
    assert inbox(devices["pat"]) == ["record:created", "record:updated"]
    assert devices["pat"].of("record:updated")[0]["notes"] == "BP 140/90"
    assert devices["doc"].new == [n for n in devices["doc"].new if n["type"].startswith("access_request")]
    assert devices["other"].new == []

    assert [r["id"] for r in (await w.call("pat", "GET", records))[1]] == [record["id"]]
    assert (await w.call("pat", "GET", f"/api/records/{record['id']}"))[1]["notes"] == "BP 140/90"
    assert (await w.call("stranger", "GET", f"/api/records/{record['id']}"))[0] == 403
    assert (await w.call("ph1", "GET", records))[0] == 403
    assert (await w.call("other", "GET", f"/api/records/{record['id']}"))[0] == 404
    assert (await w.call("pat", "POST", records, entry))[0] == 403  # patients do not write records
    status, bad = await w.call("doc", "PATCH", f"/api/records/{record['id']}", {"visit_date": "yesterday"})
    assert status == 400 and bad["error"]["details"][0]["field"] == "visit_date"

    status, trail = await w.call("pat", "GET", "/api/audit/me")
    assert status == 200
    seen = [(t["actor"]["username"], t["role"], t["action"], t["outcome"]) for t in trail]
    assert sorted(seen) == sorted([("doc", "doctor", "create", "allowed"), ("doc", "doctor", "update", "allowed"),
                                   ("stranger", "doctor", "read", "denied"), ("ph1", "pharmacist", "list", "denied"),
                                   ("other", "patient", "read", "denied")])
    assert all(t["ip"] == "127.0.0.1" and t["at"] for t in trail)
    assert next(t for t in trail if t["action"] == "update")["fields"] == ["notes"]
    _, with_self = await w.call("pat", "GET", "/api/audit/me?include_self=true")
    assert {("pat", "list"), ("pat", "read")} <= {(t["actor"]["username"], t["action"]) for t in with_self}
    assert (await w.call("other", "GET", "/api/audit/me"))[1] == []
    for device in devices.values():
        await device.disconnect()
