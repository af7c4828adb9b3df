"""The audit trail of a patient's medical records: who, with which role, did what, when, from where.

Every read, list, creation and update of a record is written here, and so is every
refused attempt (`outcome: "denied"`), before the answer goes back. A patient lists the
entries about their own data (`GET /api/audit/me`), by default those of other people.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pymongo import IndexModel

from models.common import new_id
from models.documents import public
from models.identity import Identity
from server.clock import Clock
from server.storage import paging
from server.storage.db import Database

log = logging.getLogger(__name__)
AUDIT = "audit"


class Audit:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        db.declare(AUDIT, IndexModel([("patient_id", 1), ("at", 1)]))

    async def log(self, actor: Identity, patient_id: str, action: str, obj: dict[str, Any], ip: str | None,
                  outcome: str = "allowed", fields: list[str] | None = None) -> None:
        await self.db[AUDIT].insert_one({
            "_id": new_id(), "patient_id": patient_id, "actor_id": actor.user_id, "role": actor.role,
            "action": action, "object": obj, "outcome": outcome, "fields": fields, "ip": ip,
            "at": self.clock.now()})

    async def for_patient(self, patient_id: str, *, include_self: bool, before: datetime | None,
                          limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
        """One page, newest first along the (patient_id, at) index, and the next cursor."""
        query: dict[str, Any] = {"patient_id": patient_id}
        if before is not None:
            query["at"] = {"$lt": before}
        if not include_self:
            query["actor_id"] = {"$ne": patient_id}
        docs, more = await paging.page(self.db[AUDIT], query, [("at", -1), ("_id", -1)], cursor, limit)
        names = {d["_id"]: d for d in await self.db["users"].find(
            {"_id": {"$in": list({d["actor_id"] for d in docs})}}, {"username": 1, "first_name": 1,
                                                                   "last_name": 1}).to_list(None)}
        out = []
        for doc in docs:
            who = names.get(doc["actor_id"], {})
            out.append({**public(doc), "actor": {"id": doc["actor_id"], "username": who.get("username"),
                                                   "name": f"{who.get('first_name', '')} "
                                                           f"{who.get('last_name', '')}".strip()}})
        return out, more
