"""Prescriptions: created by a doctor with a grant, moved through the pharmacy, history kept.

created → validated → prepared → ready → delivered, or rejected (pharmacist, before
preparation) / cancelled (the prescribing doctor, before delivery), both with a reason.
Every change is one conditional update `{_id, status: <the status we read>}`: when two
pharmacists act at once exactly one matches and the other gets 409. Preparing takes the
stock first (all or nothing); if the status update then loses the race the stock is given
back. Cancelling a prepared or ready prescription returns its stock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import IndexModel, ReturnDocument

from models.care import PrescriptionIn, PrescriptionQuery
from models.common import new_id
from models.documents import public
from models.errors import Conflict, Forbidden, NotFound
from models.identity import Identity
from rooms.access import may_access, require_access
from rooms.names import role_room, user_room
from server.accounts.people import active_ids, display_name, require_patient
from server.care.inventory import Inventory, wanted
from server.clock import Clock
from server.inbox import texts
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)
PRESCRIPTIONS = "prescriptions"

# target status → (statuses it may come from, role allowed to set it)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "validated": (frozenset({"created"}), "pharmacist"),
    "prepared": (frozenset({"validated"}), "pharmacist"),
    "ready": (frozenset({"prepared"}), "pharmacist"),
    "delivered": (frozenset({"ready"}), "pharmacist"),
    "rejected": (frozenset({"created", "validated"}), "pharmacist"),
    "cancelled": (frozenset({"created", "validated", "prepared", "ready"}), "doctor"),
}
class Prescriptions:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, inventory: Inventory) -> None:
        self.db, self.clock, self.notifier, self.inventory = db, clock, notifier, inventory
        db.declare(PRESCRIPTIONS, IndexModel("patient_id"), IndexModel("doctor_id"), IndexModel("status"))
        # Called with the prescription once delivered (wired in create_app: treatments follow from it).
        self.on_delivered: list[Callable[[dict], Awaitable[Any]]] = []

    async def create(self, doctor: Identity, body: PrescriptionIn) -> dict:
        await require_patient(self.db, body.patient_id)
        await require_access(self.db, self.clock, doctor, body.patient_id, "prescriptions")
        now = self.clock.now()
        doc = {"_id": new_id(), "patient_id": body.patient_id, "doctor_id": doctor.user_id,
               "medications": [m.model_dump() for m in body.medications], "notes": body.notes,
               "status": "created", "created_at": now, "updated_at": now,
               "history": [{"from": None, "to": "created", "by": doctor.user_id, "role": "doctor", "at": now,
                            "reason": None}]}
        await self.db[PRESCRIPTIONS].insert_one(doc)
        name = await display_name(self.db, doctor.user_id)
        link = {"type": "prescription", "id": doc["_id"]}
        title, text = texts.render("prescription:new", name=name, count=len(body.medications))
        await self.notifier.notify([body.patient_id], events.PRESCRIPTION_NEW, title=title, body=text, link=link)
        title, text = texts.render("prescription:to_validate", name=name)
        await self.notifier.notify(await active_ids(self.db, "pharmacist"), events.PRESCRIPTION_NEW,
                                   title=title, body=text, link=link)
        await self.notifier.broadcast(events.PRESCRIPTION_NEW, doc,
                                      [role_room("pharmacist"), user_room(body.patient_id)])
        return public(doc)

    async def get(self, identity: Identity, prescription_id: str) -> dict:
        return public(await self._visible(identity, prescription_id))

    async def _visible(self, identity: Identity, prescription_id: str) -> dict:
        doc = await self.db[PRESCRIPTIONS].find_one({"_id": prescription_id})
        if doc is None:
            raise NotFound("No such prescription")
        if identity.role == "pharmacist" or doc["doctor_id"] == identity.user_id:
            return doc
        if await may_access(self.db, self.clock, identity, doc["patient_id"], "prescriptions"):
            return doc
        raise NotFound("No such prescription")  # another patient's: do not confirm it exists

    async def list(self, identity: Identity, query: PrescriptionQuery) -> list[dict]:
        match: dict[str, Any] = {}
        if identity.role == "patient":
            match["patient_id"] = identity.user_id
        elif identity.role == "doctor":
            if query.patient_id:  # everything of one patient needs a grant; else my own prescriptions
                await require_access(self.db, self.clock, identity, query.patient_id, "prescriptions")
            else:
                match["doctor_id"] = identity.user_id
        if query.patient_id:
            match["patient_id"] = query.patient_id if identity.role != "patient" else identity.user_id
        if query.status:
            match["status"] = query.status
        docs = await self.db[PRESCRIPTIONS].find(match).to_list(None)
        docs.sort(key=lambda d: d["created_at"], reverse=True)
        return [public(d) for d in docs]

    async def set_status(self, identity: Identity, prescription_id: str, status: str, reason: str | None) -> dict:
        doc = await self._visible(identity, prescription_id)
        sources, role = TRANSITIONS[status]
        if identity.role != role or (role == "doctor" and doc["doctor_id"] != identity.user_id):
            who = "the prescribing doctor" if role == "doctor" else "pharmacists"
            raise Forbidden(f"Only {who} may set status {status}", code="transition_forbidden")
        current = doc["status"]
        if current not in sources:
            raise Conflict(f"A prescription cannot go from {current} to {status}", code="invalid_transition",
                           details={"from": current, "to": status})
        taken = await self.inventory.take(doc["medications"]) if status == "prepared" else []
        now = self.clock.now()
        entry = {"from": current, "to": status, "by": identity.user_id, "role": identity.role, "at": now,
                 "reason": reason}
        updated = await self.db[PRESCRIPTIONS].find_one_and_update(
            {"_id": doc["_id"], "status": current},
            {"$set": {"status": status, "updated_at": now}, "$push": {"history": entry}},
            return_document=ReturnDocument.AFTER)
        if updated is None:  # someone else moved it between our read and our write
            if taken:
                await self.inventory.give_back(dict(wanted(doc["medications"])), announce=False)
            raise Conflict("The prescription changed meanwhile; reload it", code="invalid_transition",
                           details={"from": current, "to": status})
        if taken:
            await self.inventory.announce(taken, wanted(doc["medications"]))
        if status == "cancelled" and current in ("prepared", "ready"):
            await self.inventory.give_back(dict(wanted(doc["medications"])))
        await self._announce(updated, identity, status, reason)
        for hook in self.on_delivered if status == "delivered" else ():
            await hook(updated)
        return public(updated)

    async def _announce(self, doc: dict, actor: Identity, status: str, reason: str | None) -> None:
        title, text = texts.render(f"prescription:{status}", name=await display_name(self.db, actor.user_id),
                                   reason=texts.reason(reason))
        await self.notifier.notify(
            [doc["patient_id"], doc["doctor_id"]], events.PRESCRIPTION_STATUS_CHANGED, title=title, body=text,
            link={"type": "prescription", "id": doc["_id"]},
            data={"status": status, "by": actor.user_id, "role": actor.role, "reason": reason})
        await self.notifier.broadcast(events.PRESCRIPTION_STATUS_CHANGED, doc, [
            role_room("pharmacist"), user_room(doc["patient_id"]), user_room(doc["doctor_id"])])
