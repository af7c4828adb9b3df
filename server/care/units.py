"""Care units (a hospital ward or a home-care team): admins assign staff and patients.

Staff of a unit may watch its patients' vitals and alerts without a per-patient grant: that
is the hospital case, where the ward's nurses and doctors look after whoever is admitted.
Grants stay the home-care case (a patient chooses a doctor). The rule itself lives in
rooms/access.py (`may_access` asks `unit_covers`), so REST, sockets and room joins agree.
Staff are users with the `doctor` role (the platform's clinical staff role). Some staff are the
unit's seniors (`senior_ids`, a subset of `staff_ids`, set by admins): they edit the unit's on-call
rota (server/care/oncall.py) and are the escalation level after the on-call doctors.
"""

from __future__ import annotations

import logging
from typing import Literal

import socketio
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from models.common import new_id
from models.documents import CARE_UNITS
from models.errors import Conflict, Invalid, NotFound
from models.identity import Identity
from rooms import watch
from rooms.access import may_access
from server.clock import Clock
from server.storage.db import Database

log = logging.getLogger(__name__)

COLLECTION = CARE_UNITS
# what clients see: public(doc, fields=FIELDS)
FIELDS = ("name", "kind", "staff_ids", "senior_ids", "patient_ids", "created_at")
UnitKind = Literal["ward", "home_care"]
STAFF_ROLES = ("doctor",)


def declare_indexes(db: Database) -> None:
    db.declare(COLLECTION, IndexModel("staff_ids"), IndexModel("patient_ids"), IndexModel("name_lower", unique=True))


class CareUnits:
    def __init__(self, db: Database, clock: Clock, sio: socketio.AsyncServer | None = None) -> None:
        self.db, self.clock, self.sio = db, clock, sio
        declare_indexes(db)

    @property
    def coll(self):
        return self.db[COLLECTION]

    async def create(self, name: str, kind: str, created_by: str) -> dict:
        doc = {"_id": new_id(), "name": name, "name_lower": name.lower(), "kind": kind, "staff_ids": [],
               "senior_ids": [], "patient_ids": [], "created_by": created_by, "created_at": self.clock.now()}
        try:
            await self.coll.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict("A care unit with this name exists", code="unit_exists") from None
        return doc

    async def get(self, unit_id: str) -> dict:
        doc = await self.coll.find_one({"_id": unit_id})
        if doc is None:
            raise NotFound("No such care unit", code="unit_not_found")
        return doc

    async def _user_with_role(self, user_id: str, roles: tuple[str, ...]) -> dict:
        user = await self.db["users"].find_one({"_id": user_id, "is_active": True}, {"role": 1})
        if user is None:
            raise NotFound("No such user", code="user_not_found")
        if user["role"] not in roles:
            raise Invalid(f"This user is a {user['role']}; expected {' or '.join(roles)}", code="wrong_role")
        return user

    async def _change(self, unit_id: str, op: str, field: str, user_id: str) -> dict:
        doc = await self.coll.find_one_and_update({"_id": unit_id}, {op: {field: user_id}},
                                                  return_document=ReturnDocument.AFTER)
        if doc is None:
            raise NotFound("No such care unit", code="unit_not_found")
        log.info("care unit %s: %s %s %s", unit_id, op, field, user_id)
        return doc

    async def add_staff(self, unit_id: str, user_id: str) -> dict:
        await self._user_with_role(user_id, STAFF_ROLES)
        return await self._change(unit_id, "$addToSet", "staff_ids", user_id)

    async def remove_staff(self, unit_id: str, user_id: str) -> dict:
        """No longer staff (nor senior): their sockets leave the unit room, and the patient rooms it alone allowed."""
        await self._change(unit_id, "$pull", "senior_ids", user_id)
        doc = await self._change(unit_id, "$pull", "staff_ids", user_id)
        if self.sio is not None:
            await watch.leave_unit(self.sio, user_id, unit_id)
        await self._evict_unless_allowed([user_id], doc["patient_ids"])
        return doc

    async def add_senior(self, unit_id: str, user_id: str) -> dict:
        """A senior is first staff: the rota and the escalation chain only know the unit's own doctors."""
        doc = await self.coll.find_one_and_update({"_id": unit_id, "staff_ids": user_id},
                                                  {"$addToSet": {"senior_ids": user_id}},
                                                  return_document=ReturnDocument.AFTER)
        if doc is None:
            await self.get(unit_id)
            raise Invalid("Only a staff member of this unit can be one of its seniors", code="not_unit_staff",
                          details=[{"field": "user_id", "message": "not staff of this care unit",
                                    "type": "not_unit_staff"}])
        log.info("care unit %s: senior %s", unit_id, user_id)
        return doc

    async def remove_senior(self, unit_id: str, user_id: str) -> dict:
        return await self._change(unit_id, "$pull", "senior_ids", user_id)

    async def add_patient(self, unit_id: str, patient_id: str) -> dict:
        await self._user_with_role(patient_id, ("patient",))
        return await self._change(unit_id, "$addToSet", "patient_ids", patient_id)

    async def remove_patient(self, unit_id: str, patient_id: str) -> dict:
        doc = await self._change(unit_id, "$pull", "patient_ids", patient_id)
        await self._evict_unless_allowed(doc["staff_ids"], [patient_id])
        return doc

    async def _evict_unless_allowed(self, staff_ids: list[str], patient_ids: list[str]) -> None:
        """A staff member who lost their only right to a patient (the unit) leaves `patient:<id>` now."""
        if self.sio is None:
            return
        for staff_id in staff_ids:
            identity = Identity(staff_id, "doctor", "", "", 0)
            for pid in patient_ids:
                if not await may_access(self.db, self.clock, identity, pid, "vitals"):
                    await watch.evict(self.sio, staff_id, pid)

    async def visible_to(self, user_id: str, role: str) -> list[dict]:
        query = {} if role == "admin" else {"staff_ids": user_id}
        docs = await self.coll.find(query).to_list(None)
        return sorted(docs, key=lambda d: d["name_lower"])

    async def is_staff(self, unit_id: str, user_id: str) -> bool:
        return await self.coll.find_one({"_id": unit_id, "staff_ids": user_id}, {"_id": 1}) is not None
