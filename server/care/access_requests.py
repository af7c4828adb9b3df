"""Access to a patient's data: a doctor asks, the patient approves or rejects, grants end.

Approving creates a grant (`rooms.access.GRANTS`: scopes + expiry) that `may_access`
checks on every read and write. A grant ends by revocation (the patient, at any time) or
by expiry; either way the doctor's sockets leave `patient:<id>` (`rooms.watch.evict`)
unless another active grant still allows vitals. Expiry is found by `run_sweeper`, a
background task that claims each expired grant atomically (`ended_at`), so it is
announced once even with several processes.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import socketio
from pymongo import IndexModel, ReturnDocument

from models.care import AccessRequestIn
from models.common import new_id
from models.documents import GRANTS
from models.errors import Conflict, Forbidden, NotFound
from models.identity import Identity
from rooms.access import active_grant_query, may_access
from rooms.names import user_room
from rooms.watch import evict
from server.accounts.people import display_name, require_patient
from server.clock import Clock
from server.inbox.notifier import Notifier, jsonable
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)
REQUESTS = "access_requests"
SWEEP_EVERY = 0.5  # seconds; short so an injected clock that jumps is noticed promptly


class AccessRequests:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, sio: socketio.AsyncServer) -> None:
        self.db, self.clock, self.notifier, self.sio = db, clock, notifier, sio
        db.declare(REQUESTS, IndexModel([("doctor_id", 1), ("patient_id", 1)]), IndexModel("patient_id"))
        db.declare(GRANTS, IndexModel([("revoked_at", 1), ("ended_at", 1), ("expires_at", 1)]))

    # -- requests ----------------------------------------------------------------------
    async def create(self, doctor: Identity, body: AccessRequestIn) -> dict:
        await require_patient(self.db, body.patient_id)
        if await self.db[REQUESTS].find_one({"doctor_id": doctor.user_id, "patient_id": body.patient_id,
                                             "status": "pending"}):
            raise Conflict("A request to this patient is already pending", code="request_pending")
        doc = {"_id": new_id(), "doctor_id": doctor.user_id, "patient_id": body.patient_id,
               "reason": body.reason, "scopes": body.scopes, "duration_days": body.duration_days,
               "status": "pending", "created_at": self.clock.now(), "decided_at": None, "grant_id": None,
               "decision_reason": None}
        await self.db[REQUESTS].insert_one(doc)
        name = await display_name(self.db, doctor.user_id)
        scopes = ", ".join(body.scopes)
        await self.notifier.notify(
            [body.patient_id], events.ACCESS_REQUEST_NEW,
            title={"fr": "Nouvelle demande d'accès", "en": "New access request"},
            body={"fr": f"{name} demande l'accès à vos données ({scopes}) pour {body.duration_days} jours.",
                  "en": f"{name} asks for access to your data ({scopes}) for {body.duration_days} days."},
            link={"type": "access_request", "id": doc["_id"]})
        await self.notifier.broadcast(events.ACCESS_REQUEST_NEW, doc, [user_room(body.patient_id)])
        return jsonable(doc)

    async def decide(self, patient: Identity, request_id: str, approve: bool, reason: str | None) -> dict:
        now = self.clock.now()
        status = "approved" if approve else "rejected"
        grant_id = new_id() if approve else None
        doc = await self.db[REQUESTS].find_one_and_update(
            {"_id": request_id, "patient_id": patient.user_id, "status": "pending"},
            {"$set": {"status": status, "decided_at": now, "grant_id": grant_id, "decision_reason": reason}},
            return_document=ReturnDocument.AFTER)
        if doc is None:
            existing = await self.db[REQUESTS].find_one({"_id": request_id, "patient_id": patient.user_id})
            if existing is None:  # unknown, or another patient's: the same answer
                raise NotFound("No such access request")
            raise Conflict(f"This request was already {existing['status']}", code="already_decided")
        if approve:
            await self.db[GRANTS].insert_one({
                "_id": grant_id, "patient_id": doc["patient_id"], "doctor_id": doc["doctor_id"],
                "scopes": doc["scopes"], "request_id": doc["_id"], "created_at": now,
                "expires_at": now + timedelta(days=doc["duration_days"]), "revoked_at": None, "ended_at": None})
        name = await display_name(self.db, patient.user_id)
        fr, en = ("approuvé", "approved") if approve else ("refusé", "rejected")
        await self.notifier.notify(
            [doc["doctor_id"]], events.ACCESS_REQUEST_STATUS_CHANGED,
            title={"fr": f"Demande d'accès {'approuvée' if approve else 'refusée'}",
                   "en": f"Access request {en}"},
            body={"fr": f"{name} a {fr} votre demande d'accès.", "en": f"{name} {en} your access request."},
            link={"type": "access_request", "id": doc["_id"]}, data={"grant_id": grant_id})
        await self.notifier.broadcast(events.ACCESS_REQUEST_STATUS_CHANGED, doc,
                                      [user_room(doc["doctor_id"]), user_room(doc["patient_id"])])
        return jsonable(doc)

    async def list(self, identity: Identity, status: str | None) -> list[dict]:
        query = _mine(identity)
        if status:
            query["status"] = status
        docs = await self.db[REQUESTS].find(query).to_list(None)
        docs.sort(key=lambda d: d["created_at"], reverse=True)
        return [jsonable(d) for d in docs]

    # -- grants --------------------------------------------------------------------
    async def grants(self, identity: Identity, include_ended: bool) -> list[dict]:
        query = _mine(identity)
        if not include_ended:
            query = active_grant_query(self.clock, **query)
        docs = await self.db[GRANTS].find(query).to_list(None)
        docs.sort(key=lambda d: d["created_at"], reverse=True)
        return [jsonable(d) for d in docs]

    async def revoke(self, patient: Identity, grant_id: str) -> dict:
        now = self.clock.now()
        doc = await self.db[GRANTS].find_one_and_update(
            active_grant_query(self.clock, _id=grant_id, patient_id=patient.user_id),
            {"$set": {"revoked_at": now, "ended_at": now}}, return_document=ReturnDocument.AFTER)
        if doc is None:
            if await self.db[GRANTS].find_one({"_id": grant_id, "patient_id": patient.user_id}) is None:
                raise NotFound("No such grant")
            raise Conflict("This grant has already ended", code="grant_ended")
        await self._ended(doc, events.GRANT_REVOKED,
                          {"fr": "Accès révoqué", "en": "Access revoked"},
                          {"fr": "{name} a révoqué votre accès à ses données.",
                           "en": "{name} revoked your access to their data."})
        return jsonable(doc)

    async def _ended(self, grant: dict, event: str, title: dict, body: dict) -> None:
        """After a grant ended: stop live data, tell the doctor (inbox) and both dashboards."""
        doctor = Identity(grant["doctor_id"], "doctor", "", "", 0)
        if not await may_access(self.db, self.clock, doctor, grant["patient_id"], "vitals"):
            await evict(self.sio, grant["doctor_id"], grant["patient_id"])
        name = await display_name(self.db, grant["patient_id"])
        await self.notifier.notify(
            [grant["doctor_id"]], event, title=title,
            body={lang: text.format(name=name) for lang, text in body.items()},
            link={"type": "grant", "id": grant["_id"]}, data={"patient_id": grant["patient_id"]})
        await self.notifier.broadcast(event, grant, [user_room(grant["doctor_id"]), user_room(grant["patient_id"])])

    # -- expiry --------------------------------------------------------------------
    async def sweep(self) -> int:
        """End every grant past its expiry that nobody has ended yet; return how many."""
        now = self.clock.now()
        due = await self.db[GRANTS].find(
            {"revoked_at": None, "ended_at": None, "expires_at": {"$lte": now}}, {"_id": 1}).to_list(None)
        ended = 0
        for item in due:
            doc = await self.db[GRANTS].find_one_and_update(
                {"_id": item["_id"], "ended_at": None}, {"$set": {"ended_at": now}},
                return_document=ReturnDocument.AFTER)
            if doc is None:  # claimed by another process
                continue
            ended += 1
            await self._ended(doc, events.GRANT_EXPIRED, {"fr": "Accès expiré", "en": "Access expired"},
                              {"fr": "Votre accès aux données de {name} a expiré.",
                               "en": "Your access to {name}'s data has expired."})
        return ended

    async def run_sweeper(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # a database hiccup must not end the task
                log.exception("grant sweep failed")
            await asyncio.sleep(SWEEP_EVERY)


def _mine(identity: Identity) -> dict:
    if identity.role == "doctor":
        return {"doctor_id": identity.user_id}
    if identity.role == "patient":
        return {"patient_id": identity.user_id}
    raise Forbidden("Only doctors and patients have access requests and grants", code="role_forbidden")
