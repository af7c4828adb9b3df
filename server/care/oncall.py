"""The on-call rota of each care unit: who answers the unit's escalated alerts, when.

An entry is one doctor on call for one unit from `start` to `end` (stored in UTC; the API calls
them `from` and `to`). Admins and the unit's seniors (server/care/units.py `senior_ids`) edit it;
the doctor must be an active doctor and staff of the unit, `from` < `to`, at most 7 days
(models/alerts.py MAX_SHIFT), ending in the future, and not overlapping that doctor's own entry
in the unit (409 `oncall_overlap`; two different doctors may be on call at once). Every change
is stored, then sent live as `oncall:changed` to the unit's staff (their `user:<id>` rooms and
`unit:<id>`).

The escalation chain reads the rota through rooms/duty.py (alerting may not import care): an
entry counts only while now is inside [start, end) and its doctor is still staff of the unit,
so removing a staff member silences their entries without deleting the history.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pymongo import IndexModel

from models.common import new_id
from models.documents import ONCALL, USERS, public
from models.errors import Conflict, Invalid, NotFound
from rooms.names import unit_room, user_room
from server.care.units import CareUnits
from server.clock import Clock
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)

COLLECTION = ONCALL
FIELDS = ("unit_id", "doctor_id", "start", "end", "created_by", "created_at")
DEFAULT_WINDOW = timedelta(days=14)
MAX_ENTRIES = 500  # entries per listing; more in the window: the first ones and `truncated: true`


def declare_indexes(db: Database) -> None:
    db.declare(COLLECTION, IndexModel([("unit_id", 1), ("end", 1)]), IndexModel([("unit_id", 1), ("doctor_id", 1)]))


def entry_out(doc: dict) -> dict:
    """An entry as clients see it: `from`/`to` (the words of the API) rather than the stored names."""
    out = public(doc, fields=FIELDS)
    out["from"], out["to"] = out.pop("start"), out.pop("end")
    return out


def _field(name: str, message: str, code: str) -> Invalid:
    return Invalid(message, code=code, details=[{"field": name, "message": message, "type": code}])


class OnCallRota:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, units: CareUnits) -> None:
        self.db, self.clock, self.notifier, self.units = db, clock, notifier, units
        declare_indexes(db)

    @property
    def coll(self):
        return self.db[COLLECTION]

    async def may_edit(self, unit: dict, user_id: str, role: str) -> bool:
        return role == "admin" or (role == "doctor" and user_id in unit.get("senior_ids", []))

    async def add(self, unit: dict, doctor_id: str, start: datetime, end: datetime, by: str) -> dict:
        if end <= self.clock.now():
            raise _field("to", "this entry is already over", "oncall_in_past")
        user = await self.db[USERS].find_one({"_id": doctor_id, "is_active": True}, {"role": 1})
        if user is None or user["role"] != "doctor":
            raise _field("doctor_id", "not an active doctor", "not_a_doctor")
        if doctor_id not in unit["staff_ids"]:
            raise _field("doctor_id", "not staff of this care unit", "not_unit_staff")
        overlap = await self.coll.find_one({"unit_id": unit["_id"], "doctor_id": doctor_id,
                                            "start": {"$lt": end}, "end": {"$gt": start}}, {"_id": 1})
        if overlap is not None:
            raise Conflict("This doctor is already on call in this unit during that time", code="oncall_overlap")
        doc = {"_id": new_id(), "unit_id": unit["_id"], "doctor_id": doctor_id, "start": start, "end": end,
               "created_by": by, "created_at": self.clock.now()}
        await self.coll.insert_one(doc)
        log.info("care unit %s: on-call entry %s added", unit["_id"], doc["_id"])
        await self._changed(unit, "added", doc)
        return doc

    async def remove(self, unit: dict, entry_id: str) -> None:
        doc = await self.coll.find_one_and_delete({"_id": entry_id, "unit_id": unit["_id"]})
        if doc is None:
            raise NotFound("No such on-call entry in this unit", code="oncall_not_found")
        log.info("care unit %s: on-call entry %s removed", unit["_id"], entry_id)
        await self._changed(unit, "removed", doc)

    async def listing(self, unit: dict, start: datetime | None, end: datetime | None) -> dict:
        """Entries overlapping [start, end) (default: now to 14 days ahead) by start, and who is on call now."""
        now = self.clock.now()
        start = start or now
        end = end or start + DEFAULT_WINDOW
        if end <= start:
            raise _field("to", "`to` must be after `from`", "invalid_window")
        docs = await self.coll.find({"unit_id": unit["_id"], "end": {"$gt": start}, "start": {"$lt": end}}
                                    ).to_list(None)
        docs.sort(key=lambda d: (d["start"], d["doctor_id"]))
        truncated = len(docs) > MAX_ENTRIES  # said, never cut silently: ask for a shorter window
        current = await self.coll.find({"unit_id": unit["_id"], "end": {"$gt": now}, "start": {"$lte": now}},
                                       {"doctor_id": 1}).to_list(None)
        on_call = sorted({d["doctor_id"] for d in current if d["doctor_id"] in unit["staff_ids"]})
        return {"unit_id": unit["_id"], "at": now, "on_call_now": on_call, "truncated": truncated,
                "entries": [entry_out(d) for d in docs[:MAX_ENTRIES]]}

    async def _changed(self, unit: dict, change: str, doc: dict) -> None:
        rooms = [unit_room(unit["_id"]), *(user_room(s) for s in unit["staff_ids"])]
        await self.notifier.broadcast(events.ONCALL_CHANGED, {"unit_id": unit["_id"], "change": change,
                                                              "entry": entry_out(doc)}, rooms)
