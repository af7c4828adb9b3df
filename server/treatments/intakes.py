"""Intake reminders, the patient's answers (taken / skipped) and adherence.

Each scheduled intake (server/treatments/schedule.py) has a stable id `<treatment>:<epoch s>`.
The reminder loop claims due intakes through `Treatments.claim_due` (once per intake across
processes), stores the intake `pending` and sends `treatment:intake_due` (inbox + live). An
intake older than ANSWER_WINDOW when claimed (no process ran at that time) is not reminded.
The patient answers `taken` or `skipped` once (the same answer again is a no-op; a different
one is 409 `already_answered`), at most EARLY before it is due.

Adherence counts the intakes due so far: `taken`, `skipped`, `missed` (unanswered for longer
than ANSWER_WINDOW) and `pending` (due, still in the window); adherence = taken / (taken +
skipped + missed), or null before anything counts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from models.documents import INTAKES, public
from models.errors import Conflict, Invalid
from models.identity import Identity
from models.treatments import IntakeIn, IntakeQuery
from rooms.names import user_room
from server.clock import Clock
from server.inbox import texts
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database
from server.treatments import schedule
from server.treatments.service import Treatments

log = logging.getLogger(__name__)
ANSWER_WINDOW = timedelta(hours=4)
EARLY = timedelta(hours=1)
LIST_DAYS = 7  # GET …/intakes without `since`: the last week
MAX_PER_PASS = 200
_TINY = timedelta(microseconds=1)


def intake_id(treatment_id: str, due_at: datetime) -> str:
    return f"{treatment_id}:{int(due_at.timestamp())}"


class Intakes:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, treatments: Treatments) -> None:
        self.db, self.clock, self.notifier, self.treatments = db, clock, notifier, treatments
        db.declare(INTAKES, IndexModel([("treatment_id", 1), ("due_at", 1)]))

    async def remind_due(self) -> list[dict]:
        """Claim and send every due intake reminder (at most MAX_PER_PASS a pass)."""
        sent: list[dict] = []
        now = self.clock.now()
        async for doc, due in self.treatments.claim_due(limit=MAX_PER_PASS):
            if due is None or now - due > ANSWER_WINDOW:
                log.info("treatment %s: intake of %s not reminded (claimed late)", doc["_id"], due)
                continue
            await self.db[INTAKES].update_one(
                {"_id": intake_id(doc["_id"], due)},
                {"$setOnInsert": {"treatment_id": doc["_id"], "patient_id": doc["patient_id"], "due_at": due,
                                  "status": "pending", "answered_at": None, "note": None},
                 "$set": {"reminded_at": now}}, upsert=True)
            local = due.astimezone(ZoneInfo(doc["timezone"])).strftime("%H:%M")
            payload = {"treatment_id": doc["_id"], "medocs_name": doc["medocs_name"], "due_at": due.isoformat(),
                       "local_time": local, "timezone": doc["timezone"]}
            title, text = texts.render(events.TREATMENT_INTAKE_DUE, time=local, medication=doc["medocs_name"])
            await self.notifier.notify([doc["patient_id"]], events.TREATMENT_INTAKE_DUE, title=title, body=text,
                                       link={"type": "treatment", "id": doc["_id"]}, data=payload)
            await self.notifier.broadcast(events.TREATMENT_INTAKE_DUE, payload, [user_room(doc["patient_id"])])
            sent.append(payload)
        return sent

    async def answer(self, patient: Identity, treatment_id: str, body: IntakeIn) -> dict:
        doc = await self.treatments.visible(patient, treatment_id)
        due = body.due_at.astimezone(self.clock.now().tzinfo)
        scheduled = next(schedule.intakes(doc["started_at"], doc["end"], doc["frequency"], doc["timezone"],
                                          after=due - _TINY, until=due), None)
        if scheduled != due:
            raise Invalid("No intake of this treatment is scheduled at this time", details=[
                {"field": "due_at", "message": "not a scheduled intake (see GET …/intakes/)", "type": "value_error"}])
        now = self.clock.now()
        if due - now > EARLY:
            raise Invalid("This intake is not due yet", details=[
                {"field": "due_at", "message": f"answer at most {EARLY} before it is due", "type": "value_error"}])
        _id = intake_id(treatment_id, due)
        try:
            stored = await self.db[INTAKES].find_one_and_update(
                {"_id": _id, "status": "pending"},
                {"$set": {"status": body.status, "answered_at": now, "note": body.note},
                 "$setOnInsert": {"treatment_id": treatment_id, "patient_id": doc["patient_id"], "due_at": due,
                                  "reminded_at": None}}, upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # already answered: the same answer is a no-op, another is refused
            stored = await self.db[INTAKES].find_one({"_id": _id})
            if stored["status"] != body.status:
                raise Conflict(f"This intake is already recorded as {stored['status']}",
                               code="already_answered") from None
            return public(stored)
        out = public(stored)
        await self.notifier.broadcast(events.TREATMENT_INTAKE_RECORDED, out,
                                      await self.treatments.audience(doc["patient_id"]))
        return out

    async def list(self, identity: Identity, treatment_id: str, query: IntakeQuery) -> list[dict]:
        """Scheduled intakes with their state: taken, skipped, missed, pending (due) or upcoming."""
        doc = await self.treatments.visible(identity, treatment_id)
        now = self.clock.now()
        since = query.since or max(doc["started_at"], now - timedelta(days=LIST_DAYS))
        until = query.until or now + timedelta(days=1)
        if until - since > timedelta(days=366):
            raise Invalid("Ask for at most a year", details=[{"field": "since", "message": "at most 366 days "
                                                              "before until", "type": "value_error"}])
        return await self._states(doc, since - _TINY, until)

    async def adherence(self, identity: Identity, treatment_id: str) -> dict:
        doc = await self.treatments.visible(identity, treatment_id)
        states = await self._states(doc, None, self.clock.now())
        counts = {k: sum(1 for s in states if s["status"] == k) for k in ("taken", "skipped", "missed", "pending")}
        counted = counts["taken"] + counts["skipped"] + counts["missed"]
        return {"treatment_id": treatment_id, "due": len(states), **counts,
                "scheduled_total": schedule.count(doc["started_at"], doc["end"], doc["frequency"], doc["timezone"]),
                "adherence": round(counts["taken"] / counted, 3) if counted else None}

    async def _states(self, doc: dict, after: datetime | None, until: datetime) -> list[dict]:
        now = self.clock.now()
        times = list(schedule.intakes(doc["started_at"], doc["end"], doc["frequency"], doc["timezone"],
                                      after=after, until=until))
        if not times:
            return []
        stored = {d["_id"]: d for d in await self.db[INTAKES].find(
            {"treatment_id": doc["_id"], "due_at": {"$gte": times[0], "$lte": times[-1]}}).to_list(None)}
        out = []
        for due in times:
            rec = stored.get(intake_id(doc["_id"], due)) or {}
            status = rec.get("status", "pending")
            if status == "pending":
                status = "upcoming" if due > now else "missed" if now - due > ANSWER_WINDOW else "pending"
            out.append({"id": intake_id(doc["_id"], due), "due_at": due.isoformat(), "status": status,
                        "answered_at": rec["answered_at"].isoformat() if rec.get("answered_at") else None,
                        "reminded_at": rec["reminded_at"].isoformat() if rec.get("reminded_at") else None})
        return out
