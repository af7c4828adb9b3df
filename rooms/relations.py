"""Whose name may this user see? Only people they have a care relation with.

The web app shows names instead of short ids (grants, access requests, audit, prescriptions,
chat, the monitoring wall). A name is personal data, so `related_ids` keeps, out of the ids
asked for, only:
- the caller themself;
- a patient: doctors who asked for access or hold/held a grant (the patient gave it), who
  wrote a prescription for them, who looked at their data (audit), who share a care unit with
  them, with whom they have an appointment;
- a doctor: patients who granted them access (active) or to whom they sent an access request,
  patients they prescribed for, patients and colleagues of their care units, patients with an
  appointment;
- a pharmacist: doctors and patients of prescriptions (the pharmacy queue shows them all);
- everyone: the other participants of their chat conversations;
- an admin: everyone (the user list is already theirs to read).
Anybody else is left out without saying whether the id exists.
"""

from __future__ import annotations

from models.documents import APPOINTMENTS, CONVERSATIONS, GRANTS, PRESCRIPTIONS
from models.documents import CARE_UNITS as UNITS
from models.identity import Identity
from server.clock import Clock
from server.storage.db import Database

REQUESTS, AUDIT = "access_requests", "audit"  # collection names owned by server/care (rooms may not import it)
MAX_IDS = 200


async def _other_side(db: Database, collection: str, mine: str, theirs: str, me: str, ids: list[str],
                      **extra) -> set[str]:
    docs = await db[collection].find({mine: me, theirs: {"$in": ids}, **extra}, {theirs: 1}).to_list(None)
    return {d[theirs] for d in docs}


async def related_ids(db: Database, clock: Clock, identity: Identity, ids: list[str]) -> set[str]:
    """The subset of `ids` whose display name `identity` may see now."""
    wanted = list(dict.fromkeys(ids))[:MAX_IDS]
    me = identity.user_id
    found = {me} & set(wanted)
    if identity.role == "admin":
        return set(wanted)
    rest = lambda: [i for i in wanted if i not in found]  # noqa: E731 - re-read after each step
    convs = await db[CONVERSATIONS].find({"participants": me}, {"participants": 1}).to_list(None)
    found |= {p for c in convs for p in c["participants"]} & set(wanted)
    if identity.role == "patient":
        for coll in (GRANTS, REQUESTS, PRESCRIPTIONS, APPOINTMENTS):
            if rest():
                found |= await _other_side(db, coll, "patient_id", "doctor_id", me, rest())
        if rest():
            found |= await _other_side(db, AUDIT, "patient_id", "actor_id", me, rest())
        if rest():
            units = await db[UNITS].find({"patient_ids": me}, {"staff_ids": 1}).to_list(None)
            found |= {s for u in units for s in u.get("staff_ids", [])} & set(wanted)
    elif identity.role == "doctor":
        if rest():
            found |= await _other_side(db, GRANTS, "doctor_id", "patient_id", me, rest(), revoked_at=None,
                                       expires_at={"$gt": clock.now()})
        for coll in (REQUESTS, PRESCRIPTIONS, APPOINTMENTS):
            if rest():
                found |= await _other_side(db, coll, "doctor_id", "patient_id", me, rest())
        if rest():
            units = await db[UNITS].find({"staff_ids": me}, {"staff_ids": 1, "patient_ids": 1}).to_list(None)
            found |= {x for u in units for x in (*u.get("staff_ids", []), *u.get("patient_ids", []))} & set(wanted)
    elif identity.role == "pharmacist" and rest():
        docs = await db[PRESCRIPTIONS].find({"$or": [{"doctor_id": {"$in": rest()}}, {"patient_id": {"$in": rest()}}]},
                                            {"doctor_id": 1, "patient_id": 1}).to_list(None)
        found |= {x for d in docs for x in (d["doctor_id"], d["patient_id"])} & set(wanted)
    return found
