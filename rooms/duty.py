"""Who answers for a patient's unacknowledged alert now: the escalation chain's people, read-only.

Levels, in order (server/alerting/escalation.py walks them, one per escalation):
1. `responsible`: the patient's responsible doctors, i.e. the doctors the patient granted `vitals`
   (an active grant: the doctor the patient chose; the home-care case). The platform has no other
   "attending" field; a ward patient without such a grant has none and the level is skipped.
2. `on_call`: the on-call doctors *now* of the patient's care units (rota entries written by
   server/care/oncall.py whose [start, end) holds now and whose doctor is still staff of the unit).
3. `senior`: the seniors of those units (`senior_ids`, server/care/units.py).
4. `all_doctors`: every active doctor (the last resort, and the only level reaching doctors who have
   no relation with the patient: they get the minimal message).
Only active doctors count at every level. Reads only; the owners write.
"""

from __future__ import annotations

from models.documents import GRANTS, ONCALL, USERS
from rooms.access import active_grant_query, units_of_patient
from server.clock import Clock
from server.storage.db import Database

LEVELS = ("responsible", "on_call", "senior", "all_doctors")


async def active_doctors(db: Database, ids: list[str] | None = None) -> list[str]:
    """The active doctors among `ids` (all of them when None), in the order given (or by id)."""
    query: dict = {"role": "doctor", "is_active": True}
    if ids is not None:
        if not ids:
            return []
        query["_id"] = {"$in": ids}
    found = {d["_id"] for d in await db[USERS].find(query, {"_id": 1}).to_list(None)}
    return sorted(found) if ids is None else [i for i in dict.fromkeys(ids) if i in found]


async def responsible(db: Database, clock: Clock, patient_id: str) -> list[str]:
    grants = await db[GRANTS].find(active_grant_query(clock, patient_id=patient_id, scopes="vitals"),
                                   {"doctor_id": 1}).to_list(None)
    return await active_doctors(db, sorted({g["doctor_id"] for g in grants}))


async def on_call(db: Database, clock: Clock, units: list[dict]) -> list[str]:
    if not units:
        return []
    now = clock.now()
    staff = {u["_id"]: set(u.get("staff_ids", [])) for u in units}
    entries = await db[ONCALL].find({"unit_id": {"$in": sorted(staff)}, "start": {"$lte": now}, "end": {"$gt": now}},
                                    {"unit_id": 1, "doctor_id": 1}).to_list(None)
    return await active_doctors(db, sorted({e["doctor_id"] for e in entries if e["doctor_id"] in staff[e["unit_id"]]}))


async def seniors(db: Database, units: list[dict]) -> list[str]:
    return await active_doctors(db, sorted({s for u in units for s in u.get("senior_ids", [])
                                            if s in u.get("staff_ids", [])}))


async def level_people(db: Database, clock: Clock, level: str, patient_id: str, units: list[dict]) -> list[str]:
    """The people of one level of the chain for this patient, now."""
    if level == "responsible":
        return await responsible(db, clock, patient_id)
    if level == "on_call":
        return await on_call(db, clock, units)
    if level == "senior":
        return await seniors(db, units)
    return await active_doctors(db)


async def patient_units(db: Database, patient_id: str) -> list[dict]:
    return sorted(await units_of_patient(db, patient_id), key=lambda u: u.get("name_lower", u.get("name", "")))
