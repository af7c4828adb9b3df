"""Treatments (the earlier `/api/treatments/`): owned by the patient, added by a granted doctor too.

A stored treatment keeps the patient's time zone it was computed in, its `end` (calendar
days in that zone: server/treatments/schedule.py) and `next_intake_at`, the next intake
not yet claimed for a reminder. `claim_due` moves `next_intake_at` with a compare-and-set on
the value it read, so each intake is claimed by one process. A change of the patient's time
zone reschedules their treatments (same local times, new instants).

Who: the patient, everything on their own; a doctor with an active `prescriptions` grant
reads the patient's, adds some, and changes or deletes those they added. Anyone else: 404.
Live events (created, updated, deleted; intakes.py's intake_recorded) go to the patient and to
every doctor with an active `prescriptions` grant at that moment (`audience`), so an open
treatments screen follows changes made elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from pymongo import IndexModel, ReturnDocument

from models.common import new_id
from models.documents import TREATMENTS
from models.errors import Forbidden, Invalid, NotFound
from models.identity import Identity
from models.treatments import TreatmentIn, TreatmentPut, TreatmentQuery
from rooms.access import granted_rooms, may_access, require_access
from server import jobs
from server.accounts.people import display_name, require_patient, timezone_of
from server.accounts.users import Users
from server.clock import Clock
from server.inbox import texts
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database
from server.treatments import prescribed, schedule

log = logging.getLogger(__name__)
SCOPE = "prescriptions"
SCHEDULE = ("started_at", "end", "frequency", "timezone")
_TINY = timedelta(microseconds=1)


class Treatments:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, users: Users, default_zone: str) -> None:
        self.db, self.clock, self.notifier, self.users, self.default_zone = db, clock, notifier, users, default_zone
        db.declare(TREATMENTS, IndexModel("patient_id"), IndexModel("next_intake_at"))

    async def audience(self, patient_id: str) -> list[str]:
        """The rooms of a live treatment event: the patient and the doctors who may see it now, once each."""
        return await granted_rooms(self.db, self.clock, patient_id, SCOPE)

    def out(self, doc: dict) -> dict:
        """The earlier shape plus the schedule: `end` and `jours_restants` computed from the clock."""
        return {"id": doc["_id"], "patient_id": doc["patient_id"], "medocs_name": doc["medocs_name"],
                "frequency": doc["frequency"], "duration_days": doc["duration_days"],
                "started_at": doc["started_at"].isoformat(), "end": doc["end"].isoformat(),
                "jours_restants": schedule.days_left(doc["end"], self.clock.now(), doc["timezone"]),
                "timezone": doc["timezone"], "intakes_total": schedule.count(
                    doc["started_at"], doc["end"], doc["frequency"], doc["timezone"]),
                "next_intake_at": doc["next_intake_at"].isoformat() if doc["next_intake_at"] else None,
                "created_by": doc["created_by"], "prescription_id": doc.get("prescription_id"),
                "created_at": doc["created_at"].isoformat()}

    def _planned(self, doc: dict) -> dict:
        """`end` and `next_intake_at` of a treatment from its fields, zone and the clock."""
        end = schedule.end_of(doc["started_at"], doc["duration_days"], doc["timezone"])
        # An intake at this very instant (a course started at 08:00 sharp) is still to come.
        nxt = schedule.next_intake(doc["started_at"], end, doc["frequency"], doc["timezone"],
                                   after=self.clock.now() - _TINY)
        return {"end": end, "next_intake_at": nxt}

    async def create(self, identity: Identity, body: TreatmentIn, prescription_id: str | None = None) -> dict:
        """Added by the patient, by a granted doctor, or (prescription_id) from a delivered prescription."""
        if identity.role == "patient":
            if body.patient_id not in (None, identity.user_id):
                raise NotFound("No such patient", code="patient_not_found")
            patient_id = identity.user_id
        else:
            if body.patient_id is None:
                raise Invalid("A doctor names the patient", details=[
                    {"field": "patient_id", "message": "required for a doctor", "type": "missing"}])
            await require_patient(self.db, body.patient_id)
            if prescription_id is None:  # a delivered prescription was authorised when it was written
                await require_access(self.db, self.clock, identity, body.patient_id, SCOPE)
            patient_id = body.patient_id
        now = self.clock.now().replace(microsecond=0)  # stored to the millisecond: keep it exact
        doc: dict[str, Any] = {
            "_id": new_id(), "patient_id": patient_id, "medocs_name": body.medocs_name,
            "frequency": body.frequency, "duration_days": body.duration_days,
            "started_at": body.started_at.astimezone(now.tzinfo) if body.started_at else now,
            "timezone": await timezone_of(self.db, patient_id, self.default_zone),
            "created_by": identity.user_id, "prescription_id": prescription_id, "created_at": now,
            "updated_at": now}
        doc |= self._planned(doc)
        await self.db[TREATMENTS].insert_one(doc)
        if identity.role == "doctor":
            name = await display_name(self.db, identity.user_id)
            title, text = texts.render(events.TREATMENT_CREATED, name=name, medication=body.medocs_name,
                                       frequency=body.frequency, days=body.duration_days)
            await self.notifier.notify([patient_id], events.TREATMENT_CREATED, title=title, body=text,
                                       link={"type": "treatment", "id": doc["_id"]})
        out = self.out(doc)
        await self.notifier.broadcast(events.TREATMENT_CREATED, out, await self.audience(patient_id))
        return out

    async def from_prescription(self, prescription: dict) -> list[dict]:
        """A delivered prescription's medications become treatments starting now (prescribed.py)."""
        made = []
        doctor = Identity(prescription["doctor_id"], "doctor", "", "", 0)
        for course in prescribed.courses(prescription):
            body = TreatmentIn(**course, patient_id=prescription["patient_id"])
            made.append(await self.create(doctor, body, prescription_id=prescription["_id"]))
        skipped = len(prescription.get("medications", [])) - len(made)
        if skipped:
            log.info("prescription %s: %d medication(s) without a readable frequency or duration",
                     prescription["_id"], skipped)
        return made

    async def visible(self, identity: Identity, treatment_id: str, change: bool = False) -> dict:
        doc = await self.db[TREATMENTS].find_one({"_id": treatment_id})
        if doc is None or not await may_access(self.db, self.clock, identity, doc["patient_id"], SCOPE):
            raise NotFound("No such treatment")  # another patient's: do not confirm it exists
        if change and identity.role != "patient" and doc["created_by"] != identity.user_id:
            raise Forbidden("Only the patient or the doctor who added it may change it", code="not_owner")
        return doc

    async def list(self, identity: Identity, query: TreatmentQuery) -> list[dict]:
        patient_id = identity.user_id if identity.role == "patient" else query.patient_id
        if patient_id is None:
            raise Invalid("A doctor names the patient", details=[
                {"field": "patient_id", "message": "required for a doctor", "type": "missing"}])
        if identity.role == "patient" and query.patient_id not in (None, identity.user_id):
            raise NotFound("No such patient", code="patient_not_found")
        if identity.role == "doctor":
            await require_patient(self.db, patient_id)
            await require_access(self.db, self.clock, identity, patient_id, SCOPE)
        docs = await self.db[TREATMENTS].find({"patient_id": patient_id}).to_list(None)
        now = self.clock.now()
        if query.active is not None:
            docs = [d for d in docs if (d["end"] > now) == query.active]
        docs.sort(key=lambda d: (d["started_at"], d["_id"]), reverse=True)
        return [self.out(d) for d in docs]

    async def running_for(self, patient_id: str) -> list[dict]:
        """The patient's running treatments, for the assistant's grounding (which checked the caller first)."""
        docs = await self.db[TREATMENTS].find({"patient_id": patient_id, "end": {"$gt": self.clock.now()}}).to_list(50)
        return [{k: self.out(d)[k] for k in ("medocs_name", "frequency", "end", "jours_restants")} for d in docs]

    async def update(self, identity: Identity, treatment_id: str, body: TreatmentPut) -> dict:
        doc = await self.visible(identity, treatment_id, change=True)
        changes = body.model_dump(exclude_unset=True)
        if "started_at" in changes:
            changes["started_at"] = changes["started_at"].astimezone(self.clock.now().tzinfo)
        merged = {**doc, **changes}
        changes |= self._planned(merged) | {"updated_at": self.clock.now()}
        updated = await self.db[TREATMENTS].find_one_and_update(
            {"_id": treatment_id}, {"$set": changes}, return_document=ReturnDocument.AFTER)
        if updated is None:
            raise NotFound("No such treatment")
        out = self.out(updated)
        await self.notifier.broadcast(events.TREATMENT_UPDATED, out, await self.audience(doc["patient_id"]))
        return out

    async def delete(self, identity: Identity, treatment_id: str) -> None:
        doc = await self.visible(identity, treatment_id, change=True)
        await self.db[TREATMENTS].delete_one({"_id": treatment_id})
        await self.notifier.broadcast(events.TREATMENT_DELETED, {"id": treatment_id, "patient_id": doc["patient_id"]},
                                      await self.audience(doc["patient_id"]))

    async def set_timezone(self, identity: Identity, zone: str) -> dict:
        """PUT /api/me/timezone: store it on the profile, then move every running treatment's schedule."""
        user = await self.users.set_timezone(identity.user_id, zone)
        moved, rooms = 0, await self.audience(identity.user_id)
        async for doc in self.db[TREATMENTS].find({"patient_id": identity.user_id, "end": {"$gt": self.clock.now()}}):
            planned = self._planned({**doc, "timezone": zone})
            await self.db[TREATMENTS].update_one({"_id": doc["_id"]}, {"$set": {"timezone": zone, **planned}})
            moved += 1
            await self.notifier.broadcast(events.TREATMENT_UPDATED, self.out({**doc, "timezone": zone, **planned}),
                                          rooms)
        return {"timezone": user["profile"]["timezone"], "treatments_rescheduled": moved}

    async def claim_due(self, limit: int = 100) -> AsyncIterator[tuple[dict, datetime | None]]:
        """Claim treatments with a due intake: yield (treatment, its latest intake due by now).

        The claim moves `next_intake_at` past now (server/jobs.py `claim_due`: the due condition is
        repeated in the update's filter, so one process wins each intake). Several intakes may be due
        after a pause (no process ran): they are claimed together and only the latest is yielded
        (None when it is older than two days), so a patient never gets a burst of stale reminders."""
        now = self.clock.now()

        def advance(t: dict) -> dict:
            return {"$set": {"next_intake_at": schedule.next_intake(
                t["started_at"], t["end"], t["frequency"], t["timezone"], after=now)}}

        async for doc in jobs.claim_due(self.db[TREATMENTS], {"next_intake_at": {"$ne": None, "$lte": now}},
                                        advance, limit=limit, projection=dict.fromkeys(SCHEDULE, 1)):
            due = list(schedule.intakes(doc["started_at"], doc["end"], doc["frequency"], doc["timezone"],
                                        after=now - timedelta(days=2), until=now))
            yield doc, (due[-1] if due else None)
