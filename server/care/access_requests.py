"""Access to a patient's data: a doctor asks, the patient approves or rejects, grants end.

Approving creates a grant (`rooms.access.GRANTS`: scopes + expiry) that `may_access`
checks on every read and write. One pending request per (doctor, patient) is a unique
partial index, not a prior read, so concurrent requests give one 201 and 409s. Approving
writes the decision and the grant in one transaction (when the database has them), so no
approved request points at a missing grant. A grant ends by revocation (the patient, at any time) or
by expiry; either way the doctor's sockets leave `patient:<id>` (`rooms.watch.evict`)
unless another active grant still allows vitals. Expiry is found by `run_sweeper`, a
background task that claims each expired grant atomically (`ended_at`), so it is
announced once even with several processes.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import socketio
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from models.care import AccessRequestIn
from models.common import new_id
from models.documents import GRANTS, public
from models.errors import Conflict, Forbidden, NotFound
from models.identity import Identity
from rooms.access import active_grant_query, may_access
from rooms.names import user_room
from rooms.watch import evict
from server.accounts.people import display_name, require_patient
from server.clock import Clock
from server.inbox import texts
from server.inbox.notifier import Notifier
from server.jobs import claim_due
from server.logs import security_event
from server.realtime import events
from server.storage.db import Database, in_transaction

log = logging.getLogger(__name__)
REQUESTS = "access_requests"
SWEEP_EVERY = 0.5  # seconds; short so an injected clock that jumps is noticed promptly


class AccessRequests:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, sio: socketio.AsyncServer) -> None:
        self.db, self.clock, self.notifier, self.sio = db, clock, notifier, sio
        db.declare(REQUESTS, IndexModel([("doctor_id", 1), ("patient_id", 1)]), IndexModel("patient_id"),
                   IndexModel([("doctor_id", 1), ("patient_id", 1), ("status", 1)], unique=True,
                              partialFilterExpression={"status": "pending"}, name="one_pending_request"))
        db.declare(GRANTS, IndexModel([("revoked_at", 1), ("ended_at", 1), ("expires_at", 1)]))

    # -- requests ----------------------------------------------------------------------
    async def create(self, doctor: Identity, body: AccessRequestIn) -> dict:
        await require_patient(self.db, body.patient_id)
        doc = {"_id": new_id(), "doctor_id": doctor.user_id, "patient_id": body.patient_id,
               "reason": body.reason, "scopes": body.scopes, "duration_days": body.duration_days,
               "status": "pending", "created_at": self.clock.now(), "decided_at": None, "grant_id": None,
               "decision_reason": None}
        try:
            await self.db[REQUESTS].insert_one(doc)
        except DuplicateKeyError:
            raise Conflict("A request to this patient is already pending", code="request_pending") from None
        name = await display_name(self.db, doctor.user_id)
        title, text = texts.render("access_request:new", name=name, scopes=texts.scopes(body.scopes),
                                   days=body.duration_days)
        await self.notifier.notify(
            [body.patient_id], events.ACCESS_REQUEST_NEW, title=title, body=text,
            link={"type": "access_request", "id": doc["_id"]})
        await self.notifier.broadcast(events.ACCESS_REQUEST_NEW, doc, [user_room(body.patient_id)])
        return public(doc)

    async def decide(self, patient: Identity, request_id: str, approve: bool, reason: str | None) -> dict:
        now = self.clock.now()
        status = "approved" if approve else "rejected"
        grant_id = new_id() if approve else None
        decision = {"status": status, "decided_at": now, "grant_id": grant_id, "decision_reason": reason}
        doc = await self._decide(request_id, patient.user_id, decision, now)
        if doc is None:
            existing = await self.db[REQUESTS].find_one({"_id": request_id, "patient_id": patient.user_id})
            if existing is None:  # unknown, or another patient's: the same answer
                raise NotFound("No such access request")
            raise Conflict(f"This request was already {existing['status']}", code="already_decided")
        security_event("grant", status, patient_id=patient.user_id, doctor_id=doc["doctor_id"], grant_id=grant_id,
                       scopes=",".join(doc.get("scopes", [])))
        name = await display_name(self.db, patient.user_id)
        title, text = texts.render(f"access_request:{status}", name=name)
        await self.notifier.notify(
            [doc["doctor_id"]], events.ACCESS_REQUEST_STATUS_CHANGED, title=title, body=text,
            link={"type": "access_request", "id": doc["_id"]}, data={"grant_id": grant_id})
        await self.notifier.broadcast(events.ACCESS_REQUEST_STATUS_CHANGED, doc,
                                      [user_room(doc["doctor_id"]), user_room(doc["patient_id"])])
        return public(doc)

    async def _decide(self, request_id: str, patient_id: str, decision: dict, now) -> dict | None:
        """The decision and, for an approval, its grant: both written or neither (None: not pending)."""
        async def write(session) -> dict | None:
            doc = await self.db[REQUESTS].find_one_and_update(
                {"_id": request_id, "patient_id": patient_id, "status": "pending"}, {"$set": decision},
                return_document=ReturnDocument.AFTER, session=session)
            if doc is not None and decision["grant_id"]:
                await self.db[GRANTS].insert_one({
                    "_id": decision["grant_id"], "patient_id": doc["patient_id"], "doctor_id": doc["doctor_id"],
                    "scopes": doc["scopes"], "request_id": doc["_id"], "created_at": now,
                    "expires_at": now + timedelta(days=doc["duration_days"]), "revoked_at": None,
                    "ended_at": None}, session=session)
            return doc
        return await in_transaction(self.db, write)

    async def list(self, identity: Identity, status: str | None) -> list[dict]:
        query = _mine(identity)
        if status:
            query["status"] = status
        docs = await self.db[REQUESTS].find(query).to_list(None)
        docs.sort(key=lambda d: d["created_at"], reverse=True)
        return [public(d) for d in docs]

    # -- grants --------------------------------------------------------------------
    async def grants(self, identity: Identity, include_ended: bool) -> list[dict]:
        query = _mine(identity)
        if not include_ended:
            query = active_grant_query(self.clock, **query)
        docs = await self.db[GRANTS].find(query).to_list(None)
        docs.sort(key=lambda d: d["created_at"], reverse=True)
        return [public(d) for d in docs]

    async def revoke(self, patient: Identity, grant_id: str) -> dict:
        now = self.clock.now()
        doc = await self.db[GRANTS].find_one_and_update(
            active_grant_query(self.clock, _id=grant_id, patient_id=patient.user_id),
            {"$set": {"revoked_at": now, "ended_at": now}}, return_document=ReturnDocument.AFTER)
        if doc is None:
            if await self.db[GRANTS].find_one({"_id": grant_id, "patient_id": patient.user_id}) is None:
                raise NotFound("No such grant")
            raise Conflict("This grant has already ended", code="grant_ended")
        security_event("grant", "revoked", patient_id=patient.user_id, doctor_id=doc["doctor_id"], grant_id=grant_id)
        await self._ended(doc, events.GRANT_REVOKED, "grant:revoked")
        return public(doc)

    async def _ended(self, grant: dict, event: str, text_key: str) -> None:
        """After a grant ended: stop live data, tell the doctor (inbox) and both dashboards."""
        doctor = Identity(grant["doctor_id"], "doctor", "", "", 0)
        if not await may_access(self.db, self.clock, doctor, grant["patient_id"], "vitals"):
            await evict(self.sio, grant["doctor_id"], grant["patient_id"])
        title, body = texts.render(text_key, name=await display_name(self.db, grant["patient_id"]))
        await self.notifier.notify(
            [grant["doctor_id"]], event, title=title, body=body,
            link={"type": "grant", "id": grant["_id"]}, data={"patient_id": grant["patient_id"]})
        await self.notifier.broadcast(event, grant, [user_room(grant["doctor_id"]), user_room(grant["patient_id"])])

    # -- expiry --------------------------------------------------------------------
    async def sweep(self) -> int:
        """End every grant past its expiry that nobody has ended yet; return how many."""
        now = self.clock.now()
        due = {"revoked_at": None, "ended_at": None, "expires_at": {"$lte": now}}
        ended = 0
        async for doc in claim_due(self.db[GRANTS], due, {"$set": {"ended_at": now}}, limit=1000):
            ended += 1
            await self._ended(doc, events.GRANT_EXPIRED, "grant:expired")
        return ended



def _mine(identity: Identity) -> dict:
    if identity.role == "doctor":
        return {"doctor_id": identity.user_id}
    if identity.role == "patient":
        return {"patient_id": identity.user_id}
    raise Forbidden("Only doctors and patients have access requests and grants", code="role_forbidden")
