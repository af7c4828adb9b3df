"""Who is online, across server processes: one document per connected socket, refreshed by its process.

A socket's document (`<process>:<sid>`, user id, `seen_at`) is written when it connects and deleted
when it disconnects; every process refreshes its own sockets' `seen_at` every CHAT_PRESENCE_TTL_S / 3.
A user is online while one of their documents is fresher than the TTL, whichever process holds the
socket. When a process dies, its documents go stale; the next sweep by any process deletes them
(`delete_one` with the staleness repeated in the filter: one process wins each) and the winner
announces the user offline if nothing fresh is left.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from pymongo import IndexModel

from models.common import new_id
from models.documents import CHAT_PRESENCE
from server.clock import Clock
from server.storage.db import Database

log = logging.getLogger(__name__)
COLLECTION = CHAT_PRESENCE


class Presence:
    def __init__(self, db: Database, clock: Clock, ttl_s: int) -> None:
        self.db, self.clock, self.ttl = db, clock, timedelta(seconds=ttl_s)
        self.process = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
        db.declare(COLLECTION, IndexModel("user_id"), IndexModel("process"), IndexModel("seen_at"))

    @property
    def coll(self):
        return self.db[COLLECTION]

    def _fresh(self) -> dict:
        return {"$gt": self.clock.now() - self.ttl}

    async def online(self, user_id: str) -> bool:
        return await self.coll.find_one({"user_id": user_id, "seen_at": self._fresh()}, {"_id": 1}) is not None

    async def connected(self, sid: str, user_id: str) -> bool:
        """Record the socket; True when it is the user's only live one (they just came online)."""
        await self.coll.insert_one({"_id": f"{self.process}:{sid}", "user_id": user_id, "process": self.process,
                                    "seen_at": self.clock.now()})
        return await self.coll.count_documents({"user_id": user_id, "seen_at": self._fresh()}) == 1

    async def disconnected(self, sid: str) -> str | None:
        """Forget the socket; the user's id when they have no live socket left (they went offline)."""
        doc = await self.coll.find_one_and_delete({"_id": f"{self.process}:{sid}"})
        if doc is None or await self.online(doc["user_id"]):
            return None
        return doc["user_id"]

    async def beat(self) -> list[str]:
        """Refresh this process's sockets, delete stale ones of dead processes; the users now offline."""
        now = self.clock.now()
        await self.coll.update_many({"process": self.process}, {"$set": {"seen_at": now}})
        cutoff = now - self.ttl
        gone = []
        for doc in await self.coll.find({"seen_at": {"$lte": cutoff}}).to_list(1000):
            won = await self.coll.delete_one({"_id": doc["_id"], "seen_at": {"$lte": cutoff}})
            if won.deleted_count and not await self.online(doc["user_id"]) and doc["user_id"] not in gone:
                gone.append(doc["user_id"])
        return gone

    async def leave_all(self) -> None:
        """At shutdown: this process's sockets are gone."""
        await self.coll.delete_many({"process": self.process})
