"""Appointments: a patient reserves a slot, either side cancels with a reason, both are reminded.

Booking takes the slot first (`Slots.take`, atomic: one winner, 409 for the others), then
stores the appointment (if that fails, the slot is given back). The reminder is scheduled on
the appointment (`remind_at` = start − APPOINTMENT_REMINDER_S; none when booked later than
that) and claimed with `server.jobs.claim_due`, whose update filter repeats the due condition
and whose update clears it: with several processes each reminder is claimed, and so sent,
once. (A process that dies between the claim and the inbox write loses that reminder: at most
once, never twice.)
"""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from pymongo import IndexModel, ReturnDocument
from pymongo.errors import PyMongoError

from models.common import new_id
from models.documents import APPOINTMENTS, public
from models.errors import Conflict, NotFound
from models.identity import Identity
from models.scheduling import ReserveIn
from rooms.names import user_room
from server import jobs
from server.accounts.people import display_name, people, timezone_of
from server.clock import Clock
from server.inbox import texts
from server.inbox.notifier import Notifier
from server.realtime import events
from server.scheduling.slots import Slots
from server.storage.db import Database

log = logging.getLogger(__name__)
MAX_PER_PASS = 100


def appointment_out(doc: dict) -> dict:
    return {**public(doc, omit=("start", "end", "remind_at")),
            "start_time": doc["start"].isoformat(), "end_time": doc["end"].isoformat()}


def _when(doc: dict, zone: str) -> str:
    """The start in the recipient's time zone, e.g. `2030-03-20 11:00 (Europe/Paris)`."""
    return f"{doc['start'].astimezone(ZoneInfo(zone)).strftime('%Y-%m-%d %H:%M')} ({zone})"


class Appointments:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, slots: Slots, reminder_s: int) -> None:
        self.db, self.clock, self.notifier, self.slots = db, clock, notifier, slots
        self.default_zone = slots.default_zone
        self.reminder = timedelta(seconds=reminder_s) if reminder_s > 0 else None
        db.declare(APPOINTMENTS, IndexModel([("doctor_id", 1), ("start", 1)]),
                   IndexModel([("patient_id", 1), ("start", 1)]), IndexModel("remind_at"))

    async def book(self, patient: Identity, body: ReserveIn) -> dict:
        appointment_id = new_id()
        slot = await self.slots.take(body.slot_id, body.doctor_id, patient.user_id, appointment_id)
        now = self.clock.now()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as stored: the answer matches later reads
        remind_at = slot["start"] - self.reminder if self.reminder else None
        doc = {"_id": appointment_id, "slot_id": slot["_id"], "doctor_id": slot["doctor_id"],
               "patient_id": patient.user_id, "start": slot["start"], "end": slot["end"], "status": "booked",
               "created_at": now, "cancelled_at": None, "cancelled_by": None, "cancel_reason": None,
               "remind_at": remind_at if remind_at and remind_at > now else None, "reminded_at": None}
        try:
            await self.db[APPOINTMENTS].insert_one(doc)
        except PyMongoError:
            await self.slots.release(slot["_id"], appointment_id, reopen=True)
            raise
        name, when = await display_name(self.db, patient.user_id), await self._when(doc, doc["doctor_id"])
        title, text = texts.render(events.APPOINTMENT_BOOKED, name=name, when=when)
        await self.notifier.notify([doc["doctor_id"]], events.APPOINTMENT_BOOKED, title=title, body=text,
                                   link={"type": "appointment", "id": doc["_id"]})
        out = appointment_out(doc)
        await self.notifier.broadcast(events.APPOINTMENT_BOOKED, out,
                                      [user_room(doc["doctor_id"]), user_room(doc["patient_id"])])
        return {"message": "Slot réservé avec succès", "appointment": out}

    async def cancel(self, identity: Identity, appointment_id: str, reason: str) -> dict:
        doc = await self.db[APPOINTMENTS].find_one({"_id": appointment_id})
        if doc is None or identity.user_id not in (doc["doctor_id"], doc["patient_id"]):
            raise NotFound("No such appointment")
        now = self.clock.now()
        if doc["status"] != "booked":
            raise Conflict("This appointment is already cancelled", code="already_cancelled")
        if doc["start"] <= now:
            raise Conflict("This appointment has already started", code="already_started")
        updated = await self.db[APPOINTMENTS].find_one_and_update(
            {"_id": appointment_id, "status": "booked"},
            {"$set": {"status": "cancelled", "cancelled_at": now, "cancelled_by": identity.role,
                      "cancel_reason": reason, "remind_at": None}}, return_document=ReturnDocument.AFTER)
        if updated is None:
            raise Conflict("This appointment is already cancelled", code="already_cancelled")
        # A patient's cancellation frees the time for others; a doctor's means the doctor is not available.
        await self.slots.release(doc["slot_id"], appointment_id, reopen=identity.role == "patient")
        other = doc["doctor_id"] if identity.user_id == doc["patient_id"] else doc["patient_id"]
        name, when = await display_name(self.db, identity.user_id), await self._when(doc, other)
        title, text = texts.render(events.APPOINTMENT_CANCELLED, name=name, when=when, reason=texts.reason(reason))
        await self.notifier.notify([other], events.APPOINTMENT_CANCELLED, title=title, body=text,
                                   link={"type": "appointment", "id": appointment_id},
                                   data={"reason": reason, "by": identity.role})
        out = appointment_out(updated)
        await self.notifier.broadcast(events.APPOINTMENT_CANCELLED, out,
                                      [user_room(doc["doctor_id"]), user_room(doc["patient_id"])])
        return out

    async def of_doctor(self, doctor: Identity, status: str) -> list[dict]:
        """GET /api/appointments/doctor/: `{id, patient: {id, name}, slot: {id, start_time, end_time}, …}`."""
        docs = await self._list({"doctor_id": doctor.user_id}, status)
        who = await people(self.db, [d["patient_id"] for d in docs])
        return [{**appointment_out(d), "patient": _person(who, d["patient_id"], speciality=False),
                 "slot": _slot(d)} for d in docs]

    async def of_patient(self, patient: Identity, status: str) -> list[dict]:
        """GET /api/appointments/patient/: `{id, doctor: {id, name, speciality}, slot: {…}, …}`."""
        docs = await self._list({"patient_id": patient.user_id}, status)
        who = await people(self.db, [d["doctor_id"] for d in docs])
        return [{**appointment_out(d), "doctor": _person(who, d["doctor_id"], speciality=True),
                 "slot": _slot(d)} for d in docs]

    async def _list(self, match: dict, status: str) -> list[dict]:
        if status != "all":
            match["status"] = status
        docs = await self.db[APPOINTMENTS].find(match).to_list(None)
        return sorted(docs, key=lambda d: (d["start"], d["_id"]))

    # -- reminders ---------------------------------------------------------------------
    async def remind_due(self) -> list[dict]:
        """Send every due reminder this process claims (at most MAX_PER_PASS a pass). The claim's
        filter is the due condition and its update clears it: one process gets each reminder."""
        sent = []
        now = self.clock.now()
        async for doc in jobs.claim_due(self.db[APPOINTMENTS], {"remind_at": {"$ne": None, "$lte": now},
                                                                "status": "booked"},
                                        {"$set": {"remind_at": None, "reminded_at": now}}, limit=MAX_PER_PASS):
            who = await people(self.db, [doc["doctor_id"], doc["patient_id"]])
            doctor, patient = _person(who, doc["doctor_id"])["name"], _person(who, doc["patient_id"])["name"]
            link = {"type": "appointment", "id": doc["_id"]}
            for user_id, other in ((doc["patient_id"], doctor), (doc["doctor_id"], patient)):
                title, text = texts.render(events.APPOINTMENT_REMINDER, name=other,
                                           when=await self._when(doc, user_id))
                await self.notifier.notify([user_id], events.APPOINTMENT_REMINDER, title=title, body=text, link=link)
            await self.notifier.broadcast(events.APPOINTMENT_REMINDER, appointment_out(doc),
                                          [user_room(doc["doctor_id"]), user_room(doc["patient_id"])])
            sent.append(doc)
        return sent

    async def _when(self, doc: dict, user_id: str) -> str:
        return _when(doc, await timezone_of(self.db, user_id, self.default_zone))


def _person(who: dict, user_id: str, speciality: bool = False) -> dict:
    p = who.get(user_id) or {"id": user_id, "name": "?", "speciality": None}
    return {"id": p["id"], "name": p["name"], **({"speciality": p["speciality"]} if speciality else {})}


def _slot(doc: dict) -> dict:
    return {"id": doc["slot_id"], "start_time": doc["start"].isoformat(), "end_time": doc["end"].isoformat()}
