"""The one answer to "may this user see or change this patient's data of this scope?".

Used by REST routes, socket events and room joins alike:
- a patient: their own data, every scope;
- a doctor: an active grant from the patient (not revoked, not expired by the server
  clock) whose scopes include the one asked for; or, for vitals (and the alerts built on
  them), membership of a care unit the patient belongs to (units written by server/care/units.py: the
  hospital case, where ward staff look after whoever is admitted);
- nobody else by default (pharmacists see prescriptions through the pharmacy queue,
  admins manage accounts and devices, not clinical data).
Grants are created by approving an access request (handlers of the care workflows).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pymongo import IndexModel

from models.documents import APPOINTMENTS, GRANTS, PRESCRIPTIONS
from models.documents import CARE_UNITS as UNITS
from models.errors import Forbidden
from models.identity import Identity
from rooms.names import user_room
from server.clock import Clock
from server.storage.db import Database

Scope = Literal["records", "vitals", "prescriptions"]
SCOPES: tuple[str, ...] = ("records", "vitals", "prescriptions")
UNIT_SCOPES = ("vitals",)  # what care unit staff may see without a grant
APPOINTMENT_RELATION_DAYS = 30  # a doctor and patient may still chat this long after an appointment


def declare_indexes(db: Database) -> None:
    db.declare(GRANTS, IndexModel([("doctor_id", 1), ("patient_id", 1)]), IndexModel("patient_id"),
               IndexModel("expires_at"))


async def unit_covers(db: Database, staff_id: str, patient_id: str) -> bool:
    """True when some care unit has both this staff member and this patient."""
    doc = await db[UNITS].find_one({"staff_ids": staff_id, "patient_ids": patient_id}, {"_id": 1})
    return doc is not None


async def units_of_patient(db: Database, patient_id: str) -> list[dict]:
    return await db[UNITS].find({"patient_ids": patient_id}).to_list(None)


def active_grant_query(clock: Clock, **match) -> dict:
    return {**match, "revoked_at": None, "expires_at": {"$gt": clock.now()}}


async def active_grant(db: Database, clock: Clock, doctor_id: str, patient_id: str, scope: str) -> dict | None:
    return await db[GRANTS].find_one(active_grant_query(
        clock, doctor_id=doctor_id, patient_id=patient_id, scopes=scope))


async def granted_rooms(db: Database, clock: Clock, patient_id: str, scope: str) -> list[str]:
    """`user:<id>` of the patient and of every doctor with an active grant of `scope` on them now, once each:
    the audience of a live event about this patient's `scope` data (read at emit time, so a revoked or
    expired grant stops the next event). Unit staff are not in it (units cover `vitals` only)."""
    grants = await db[GRANTS].find(active_grant_query(clock, patient_id=patient_id, scopes=scope),
                                   {"doctor_id": 1}).to_list(None)
    return list(dict.fromkeys([user_room(patient_id), *(user_room(g["doctor_id"]) for g in grants)]))


async def may_access(db: Database, clock: Clock, identity: Identity, patient_id: str, scope: str) -> bool:
    if identity.role == "patient":
        return identity.user_id == patient_id
    if identity.role == "doctor":
        if await active_grant(db, clock, identity.user_id, patient_id, scope) is not None:
            return True
        return scope in UNIT_SCOPES and await unit_covers(db, identity.user_id, patient_id)
    return False


async def require_access(db: Database, clock: Clock, identity: Identity, patient_id: str, scope: str) -> None:
    """Raise Forbidden unless `identity` may access `patient_id`'s `scope` now."""
    if not await may_access(db, clock, identity, patient_id, scope):
        raise Forbidden(f"No active access to this patient's {scope}", code="no_grant")


async def visible_patients(db: Database, clock: Clock, identity: Identity, scope: str) -> list[str]:
    """Every patient whose `scope` this identity may see now (for lists across patients)."""
    if identity.role == "patient":
        return [identity.user_id]
    if identity.role != "doctor":
        return []
    grants = await db[GRANTS].find(active_grant_query(clock, doctor_id=identity.user_id, scopes=scope),
                                   {"patient_id": 1}).to_list(None)
    ids = [g["patient_id"] for g in grants]
    if scope in UNIT_SCOPES:
        units = await db[UNITS].find({"staff_ids": identity.user_id}, {"patient_ids": 1}).to_list(None)
        ids += [p for u in units for p in u.get("patient_ids", [])]
    return list(dict.fromkeys(ids))


class Rights:
    """The same answers bound to the app's database and clock, for handlers (which hold no database)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def may(self, identity: Identity, patient_id: str, scope: str) -> bool:
        return await may_access(self.db, self.clock, identity, patient_id, scope)

    async def require(self, identity: Identity, patient_id: str, scope: str) -> None:
        await require_access(self.db, self.clock, identity, patient_id, scope)

    async def visible(self, identity: Identity, scope: str) -> list[str]:
        return await visible_patients(self.db, self.clock, identity, scope)


# -- chat between people (server/chat/): who may talk to whom, now ------------------------
FINAL_PRESCRIPTION = ("delivered", "rejected", "cancelled")


async def has_appointment(db: Database, clock: Clock, doctor_id: str, patient_id: str) -> bool:
    """True while this doctor and this patient have a booked appointment that ended less than
    APPOINTMENT_RELATION_DAYS ago, or is still to come (server/scheduling owns the collection)."""
    since = clock.now() - timedelta(days=APPOINTMENT_RELATION_DAYS)
    return await db[APPOINTMENTS].find_one({"patient_id": patient_id, "start": {"$gte": since - timedelta(days=1)},
                                            "doctor_id": doctor_id, "status": "booked", "end": {"$gte": since}},
                                           {"_id": 1}) is not None


async def care_relation(db: Database, clock: Clock, doctor_id: str, patient_id: str) -> str | None:
    """Why this doctor and this patient may talk now: an active grant (any scope), a shared care unit, an
    open prescription, or an appointment; None when there is no care relation (any more)."""
    if await db[GRANTS].find_one(active_grant_query(clock, doctor_id=doctor_id, patient_id=patient_id), {"_id": 1}):
        return "grant"
    if await unit_covers(db, doctor_id, patient_id):
        return "care_unit"
    if await db[PRESCRIPTIONS].find_one({"doctor_id": doctor_id, "patient_id": patient_id,
                                         "status": {"$nin": list(FINAL_PRESCRIPTION)}}, {"_id": 1}):
        return "prescription"
    if await has_appointment(db, clock, doctor_id, patient_id):
        return "appointment"
    return None


async def may_chat(db: Database, clock: Clock, roles: dict[str, str], prescription_id: str | None) -> str | None:
    """The relation that lets two people ({user_id: role}) talk, or None. Doctor–patient: a care relation;
    doctor–pharmacist: about one prescription of that doctor, until it is delivered, rejected or cancelled."""
    by_role = {role: user_id for user_id, role in roles.items()}
    if len(roles) != 2 or len(by_role) != 2:
        return None
    if prescription_id is not None:
        if set(by_role) != {"doctor", "pharmacist"}:
            return None
        rx = await db[PRESCRIPTIONS].find_one({"_id": prescription_id, "doctor_id": by_role["doctor"],
                                               "status": {"$nin": list(FINAL_PRESCRIPTION)}}, {"_id": 1})
        return "prescription" if rx else None
    if set(by_role) == {"doctor", "patient"}:
        return await care_relation(db, clock, by_role["doctor"], by_role["patient"])
    return None
