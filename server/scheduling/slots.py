"""Doctors' slots: created without overlap, listed for patients, taken atomically.

A slot is `open`, `booked` (one appointment holds it) or `closed` (its doctor cancelled the
appointment: the time is no longer offered). Two rules need care under concurrency:

- **No overlap with the doctor's own slots**, even for creations racing (two browser tabs,
  two processes): a new slot is inserted `pending`, then compared with the doctor's
  overlapping slots. It loses to an `open`/`booked` one and to a `pending` one with a smaller
  id; a `pending` one with a larger id it cancels (compare-and-set `pending` → `overlapped`).
  It then opens itself with the same compare-and-set, which fails if a rival cancelled it
  meanwhile; a loser deletes itself (409 `slot_overlap`). Of two overlapping creations the
  later reader always sees the other, and each conflict is settled by one compare-and-set on
  one document, so at most one opens. No patient ever sees a slot that is about to vanish.
- **One patient per slot**: `take` is one conditional update `{_id, status: open}` →
  `booked`; of two patients racing, the second matches nothing and gets 409 `slot_taken`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pymongo import IndexModel, ReturnDocument

from models.common import new_id
from models.documents import SLOTS, public
from models.errors import Conflict, Invalid, NotFound
from models.identity import Identity
from models.scheduling import AvailableQuery, SlotIn
from server.accounts.people import doctor_ids, people, timezone_of
from server.clock import Clock
from server.storage.db import Database

log = logging.getLogger(__name__)
LIVE = ("pending", "open", "booked")


def slot_out(doc: dict, doctor: dict | None = None) -> dict:
    """The earlier shape `{id, start_time, end_time, doctor: {id, name}}` plus speciality and status."""
    who = doctor or {"id": doc["doctor_id"], "name": "?", "speciality": None}
    return {"id": doc["_id"], "start_time": doc["start"].isoformat(), "end_time": doc["end"].isoformat(),
            "doctor": {"id": who["id"], "name": who["name"], "speciality": who.get("speciality")},
            "status": doc["status"]}


class Slots:
    def __init__(self, db: Database, clock: Clock, default_zone: str) -> None:
        self.db, self.clock, self.default_zone = db, clock, default_zone
        db.declare(SLOTS, IndexModel([("doctor_id", 1), ("start", 1)]), IndexModel([("status", 1), ("start", 1)]))

    async def create(self, doctor: Identity, body: SlotIn) -> dict:
        now = self.clock.now()
        if body.start <= now:
            raise Invalid("The slot must start in the future",
                          details=[{"field": "start", "message": "must be in the future", "type": "value_error"}])
        start, end = body.start.astimezone(UTC), body.end.astimezone(UTC)
        doc = {"_id": new_id(), "doctor_id": doctor.user_id, "start": start, "end": end,
               "status": "pending", "patient_id": None, "appointment_id": None, "created_at": now}
        await self.db[SLOTS].insert_one(doc)
        rivals = await self._rivals(doc)
        beaten = [r for r in rivals if r["status"] != "pending" or r["_id"] < doc["_id"]]
        if not beaten:
            beaten = [r for r in rivals if not await self._cancel_rival(r)]
        # Our own opening is a compare-and-set too: a rival with a smaller id may have cancelled
        # us, and it may be one our read did not see (it was inserted after), so a failed opening
        # loses on its own, whatever `rivals` held.
        lost = bool(beaten) or (await self.db[SLOTS].update_one(
            {"_id": doc["_id"], "status": "pending"}, {"$set": {"status": "open"}})).modified_count != 1
        if lost:
            beaten = beaten or await self._rivals(doc)
            await self.db[SLOTS].delete_one({"_id": doc["_id"]})
            raise Conflict("This slot overlaps another of your slots", code="slot_overlap",
                           details=[{"id": r["_id"], "start_time": r["start"].isoformat(),
                                     "end_time": r["end"].isoformat()} for r in beaten])
        doc["status"] = "open"
        log.info("doctor %s opened slot %s", doctor.user_id, doc["_id"])
        return doc

    async def _rivals(self, doc: dict) -> list[dict]:
        """The doctor's other live slots overlapping `doc`."""
        return await self.db[SLOTS].find({"doctor_id": doc["doctor_id"], "_id": {"$ne": doc["_id"]},
                                          "status": {"$in": list(LIVE)}, "start": {"$lt": doc["end"]},
                                          "end": {"$gt": doc["start"]}}).to_list(None)

    async def _cancel_rival(self, rival: dict) -> bool:
        """Cancel a pending overlapping rival with a larger id before it opens; False if it opened first."""
        cancelled = await self.db[SLOTS].update_one({"_id": rival["_id"], "status": "pending"},
                                                    {"$set": {"status": "overlapped"}})
        return cancelled.modified_count == 1 or await self.db[SLOTS].count_documents(
            {"_id": rival["_id"], "status": {"$in": list(LIVE)}}) == 0

    async def available(self, patient: Identity, query: AvailableQuery) -> list[dict]:
        match: dict = {"status": "open", "start": {"$gt": self.clock.now()}}
        if query.date is not None:
            zone = ZoneInfo(await timezone_of(self.db, patient.user_id, self.default_zone))
            day = datetime.combine(query.date, datetime.min.time(), zone)
            match["start"] = {"$gt": max(self.clock.now(), day), "$lt": day + timedelta(days=1)}
        if query.speciality is not None:
            allowed = await doctor_ids(self.db, query.speciality)
            if query.doctor_id is not None:
                allowed = [d for d in allowed if d == query.doctor_id]
            match["doctor_id"] = {"$in": allowed}
        elif query.doctor_id is not None:
            match["doctor_id"] = query.doctor_id
        docs = await self.db[SLOTS].find(match).to_list(None)
        docs.sort(key=lambda d: (d["start"], d["_id"]))
        who = await people(self.db, [d["doctor_id"] for d in docs])
        return [slot_out(d, who.get(d["doctor_id"])) for d in docs]

    async def take(self, slot_id: str, doctor_id: str, patient_id: str, appointment_id: str) -> dict:
        """Book an open future slot for one patient, or raise 404 / 409 `slot_taken` / 409 `slot_past`."""
        now = self.clock.now()
        doc = await self.db[SLOTS].find_one_and_update(
            {"_id": slot_id, "doctor_id": doctor_id, "status": "open", "start": {"$gt": now}},
            {"$set": {"status": "booked", "patient_id": patient_id, "appointment_id": appointment_id,
                      "booked_at": now}}, return_document=ReturnDocument.AFTER)
        if doc is not None:
            return doc
        found = await self.db[SLOTS].find_one({"_id": slot_id, "doctor_id": doctor_id})
        if found is None or found["status"] in ("pending", "closed"):
            raise NotFound("No such slot for this doctor", code="slot_not_found")
        if found["status"] == "booked":
            raise Conflict("This slot was just reserved by someone else", code="slot_taken")
        raise Conflict("This slot has already started", code="slot_past")

    async def release(self, slot_id: str, appointment_id: str, reopen: bool) -> None:
        """After a cancellation: open again (the patient cancelled, still in the future) or close it."""
        status = "open" if reopen and (await self._start(slot_id)) > self.clock.now() else "closed"
        await self.db[SLOTS].update_one(
            {"_id": slot_id, "appointment_id": appointment_id, "status": "booked"},
            {"$set": {"status": status, "patient_id": None, "appointment_id": None}})

    async def _start(self, slot_id: str) -> datetime:
        doc = await self.db[SLOTS].find_one({"_id": slot_id}, {"start": 1})
        return doc["start"] if doc else self.clock.now()

    @staticmethod
    def created_out(doc: dict) -> dict:
        """POST /api/slots/: the earlier `{message}` plus the slot."""
        return {"message": "Slot crée avec succès", **public(doc, fields=("doctor_id", "status")),
                "start_time": doc["start"].isoformat(), "end_time": doc["end"].isoformat()}
