"""Pharmacy stock per medication: restock, take when a prescription is prepared, give back.

One document per medication, keyed by its lowercased name. Taking is a conditional
decrement (`quantity >= wanted`), so stock never goes negative even when pharmacists
race; when one medication of a prescription is short the ones already taken are given
back and the whole preparation is refused with the shortfall in the error's details.
`inventory:updated` goes to `role:pharmacist` after each change, `inventory:low_stock`
when a decrement crosses the threshold.
"""

from __future__ import annotations

import logging
from collections import Counter

from pymongo import ReturnDocument

from models.documents import public
from models.errors import Conflict
from rooms.names import role_room
from server.clock import Clock
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)
INVENTORY = "inventory"
DEFAULT_THRESHOLD = 10


def key(name: str) -> str:
    return " ".join(name.lower().split())


def wanted(medications: list[dict]) -> Counter:
    """Units per medication key (one prescription may list a medication twice)."""
    need: Counter = Counter()
    for med in medications:
        need[key(med["name"])] += med.get("quantity", 1)
    return need


class Inventory:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier) -> None:
        self.db, self.clock, self.notifier = db, clock, notifier

    async def list(self) -> list[dict]:
        docs = await self.db[INVENTORY].find({}).to_list(None)
        docs.sort(key=lambda d: d["_id"])
        return [public(d) for d in docs]

    async def restock(self, name: str, quantity: int, threshold: int | None) -> dict:
        update: dict = {"$inc": {"quantity": quantity}, "$set": {"updated_at": self.clock.now()},
                        "$setOnInsert": {"name": name.strip()}}
        if threshold is not None:
            update["$set"]["threshold"] = threshold
        else:
            update["$setOnInsert"]["threshold"] = DEFAULT_THRESHOLD
        doc = await self.db[INVENTORY].find_one_and_update(
            {"_id": key(name)}, update, upsert=True, return_document=ReturnDocument.AFTER)
        await self.announce([doc])
        return public(doc)

    async def take(self, medications: list[dict]) -> list[dict]:
        """Decrement every medication or none; return the updated docs (announce them later)."""
        need = wanted(medications)
        taken: list[dict] = []
        for name, units in need.items():
            doc = await self.db[INVENTORY].find_one_and_update(
                {"_id": name, "quantity": {"$gte": units}},
                {"$inc": {"quantity": -units}, "$set": {"updated_at": self.clock.now()}},
                return_document=ReturnDocument.AFTER)
            if doc is None:
                await self.give_back({d["_id"]: need[d["_id"]] for d in taken}, announce=False)
                short = await self._shortfall(need)
                raise Conflict("Not enough stock to prepare this prescription", code="insufficient_stock",
                               details=short)
            taken.append(doc)
        return taken

    async def _shortfall(self, need: Counter) -> list[dict]:
        docs = {d["_id"]: d for d in await self.db[INVENTORY].find({"_id": {"$in": list(need)}}).to_list(None)}
        out = []
        for name, units in need.items():
            have = docs.get(name, {}).get("quantity", 0)
            if have < units:
                out.append({"field": "medications", "message": f"{name}: {have} in stock, {units} needed",
                            "name": name, "in_stock": have, "needed": units})
        return out

    async def give_back(self, units: dict[str, int], announce: bool = True) -> None:
        docs = []
        for name, count in units.items():
            doc = await self.db[INVENTORY].find_one_and_update(
                {"_id": name}, {"$inc": {"quantity": count}, "$set": {"updated_at": self.clock.now()}},
                return_document=ReturnDocument.AFTER)
            if doc:
                docs.append(doc)
        if announce:
            await self.announce(docs)

    async def announce(self, docs: list[dict], taken: Counter | None = None) -> None:
        """Tell the pharmacists' screens; flag a medication that just fell under its threshold."""
        room = role_room("pharmacist")
        for doc in docs:
            await self.notifier.broadcast(events.INVENTORY_UPDATED, doc, [room])
            before = doc["quantity"] + (taken or {}).get(doc["_id"], 0)
            if doc["quantity"] < doc["threshold"] <= before:
                log.info("low stock: %s (%d < %d)", doc["_id"], doc["quantity"], doc["threshold"])
                await self.notifier.broadcast(events.INVENTORY_LOW_STOCK, {
                    "name": doc["name"], "quantity": doc["quantity"], "threshold": doc["threshold"]}, [room])
