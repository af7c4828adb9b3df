"""The inbox: notifications stored first, numbered per user, delivered exactly once per socket.

`notify()` takes the next `seq` of each recipient from an atomic counter
(`counters` collection, `find_one_and_update($inc)`), stores the notification (unique
index `(user_id, seq)`), THEN emits `notification:new` and `notification:unread_count`
to `user:<id>`.

Ordering and replay. For one user, "allocate seq → insert → emit" runs under a per-user
lock, so notifications are stored and emitted in seq order. A connecting socket does not
enter `user:<id>` at once: `join_user()` (SocketAuth's user-room step) takes the same lock,
sends every stored item with seq > `auth.last_seq` to that socket alone, and only then
joins the room. A notification created meanwhile waits for the lock and reaches the socket
through the room afterwards: no gap, no duplicate, strictly increasing. The lock is
per process: with several processes (REDIS_URL) the order holds per process only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

import socketio
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from models.common import new_id
from models.documents import public
from models.errors import Invalid, NotFound
from models.identity import Identity
from rooms import watch
from rooms.names import user_room
from server.clock import Clock
from server.ops.metrics import Metrics
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)

NOTIFICATIONS = "notifications"
COUNTERS = "counters"
REPLAY_PAGE = 200


class KeyedLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Notifier:
    def __init__(self, db: Database, sio: socketio.AsyncServer, clock: Clock, metrics: Metrics | None = None) -> None:
        self.db, self.sio, self.clock = db, sio, clock
        self.metrics = metrics or Metrics()
        self.locks = KeyedLocks()
        db.declare(NOTIFICATIONS, IndexModel([("user_id", 1), ("seq", 1)], unique=True),
                   IndexModel([("user_id", 1), ("read_at", 1)]))

    # -- writing -----------------------------------------------------------------------
    async def notify(self, user_ids: Iterable[str], type: str, *, title: dict[str, str],
                     body: dict[str, str], link: dict | None = None, data: dict | None = None,
                     urgency: str = "normal") -> list[dict]:
        """Store one notification per user, then emit it to `user:<id>`. Returns the stored docs."""
        stored = []
        for user_id in dict.fromkeys(user_ids):
            async with self.locks(user_id):
                counter = await self._bump(user_id, seq=1, unread=1)
                doc = {"_id": new_id(), "user_id": user_id, "seq": counter["seq"], "type": type,
                       "title": dict(title), "body": dict(body), "link": link, "data": data or {},
                       "urgency": urgency, "created_at": self.clock.now(), "read_at": None}
                try:
                    await self.db[NOTIFICATIONS].insert_one(doc)
                except Exception:
                    await self._bump(user_id, unread=-1)  # the seq stays burnt: only numbers skip
                    raise
                room = user_room(user_id)
                await self.sio.emit(events.NOTIFICATION_NEW, public(doc), room=room)
                await self.sio.emit(events.NOTIFICATION_UNREAD_COUNT, {"unread": counter["unread"]}, room=room)
            self.metrics.notifications.inc()
            stored.append(doc)
        return stored

    async def broadcast(self, event: str, payload: dict, rooms: Iterable[str]) -> None:
        """A live-only domain event to `rooms`; call it after the write succeeded.

        One emit to the whole room list: the audiences overlap (a doctor's `user:<id>` and the
        `patient:<id>` they watch, unit staff in `unit:<id>` too), and python-socketio, the fast
        path and the Redis managers deliver a list emit once per socket."""
        data = public(payload) if "_id" in payload else payload
        targets = list(dict.fromkeys(rooms))
        if targets:
            await self.sio.emit(event, data, room=targets[0] if len(targets) == 1 else targets)

    async def send_to(self, sid: str, event: str, payload: dict, namespace: str = "/") -> None:
        """A live event to one socket (a reply to what it asked, a replay on connect)."""
        await self.sio.emit(event, public(payload) if "_id" in payload else payload, to=sid, namespace=namespace)

    async def _bump(self, user_id: str, **inc: int) -> dict:
        # The counter is created apart from the increment: two processes upserting a new user's
        # counter with $inc at once made SecantusDB apply both and answer the loser with no
        # document (a retry then counted it twice). Creating with $setOnInsert is idempotent.
        key = {"_id": f"inbox:{user_id}"}
        doc = await self.db[COUNTERS].find_one_and_update(key, {"$inc": inc}, return_document=ReturnDocument.AFTER)
        if doc is None:
            try:
                await self.db[COUNTERS].update_one(key, {"$setOnInsert": {"seq": 0, "unread": 0}}, upsert=True)
            except DuplicateKeyError:
                pass  # created by the other process meanwhile
            doc = await self.db[COUNTERS].find_one_and_update(key, {"$inc": inc},
                                                              return_document=ReturnDocument.AFTER)
        return doc

    # -- reading ---------------------------------------------------------------------
    async def list(self, user_id: str, *, unread: bool = False, type: str | None = None,
                   before_seq: int | None = None, limit: int = 50) -> dict:
        query: dict[str, Any] = {"user_id": user_id}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        if unread:
            query["read_at"] = None
        if type:
            query["type"] = type
        docs = await self.db[NOTIFICATIONS].find(query).sort("seq", -1).limit(limit + 1).to_list(limit + 1)
        more = len(docs) > limit
        docs = docs[:limit]
        counter = await self.db[COUNTERS].find_one({"_id": f"inbox:{user_id}"}) or {}
        return {"items": [public(d) for d in docs], "unread": counter.get("unread", 0),
                "next_before_seq": docs[-1]["seq"] if more else None}

    async def mark_read(self, user_id: str, notification_id: str) -> dict:
        async with self.locks(user_id):
            now = self.clock.now()
            doc = await self.db[NOTIFICATIONS].find_one_and_update(
                {"_id": notification_id, "user_id": user_id, "read_at": None}, {"$set": {"read_at": now}},
                return_document=ReturnDocument.AFTER)
            if doc is None:  # already read (idempotent) or not this user's: tell which
                doc = await self.db[NOTIFICATIONS].find_one({"_id": notification_id, "user_id": user_id})
                if doc is None:
                    raise NotFound("No such notification")
                return public(doc)
            counter = await self._bump(user_id, unread=-1)
            if (stored := doc.get("created_at")) is not None:
                self.metrics.read_seconds.observe(max(0.0, (now - stored).total_seconds()))
            await self._announce_read(user_id, {"ids": [notification_id], "all": False, "read_at": now},
                                      counter["unread"])
            return public(doc)

    async def mark_all_read(self, user_id: str) -> dict:
        async with self.locks(user_id):
            now = self.clock.now()
            result = await self.db[NOTIFICATIONS].update_many(
                {"user_id": user_id, "read_at": None}, {"$set": {"read_at": now}})
            # Each item goes from unread to read once, so the counter stays exact even if a
            # single mark_read raced with this one.
            counter = await self._bump(user_id, unread=-result.modified_count)
            if result.modified_count:
                await self._announce_read(user_id, {"ids": [], "all": True, "read_at": now}, counter["unread"])
            return {"marked": result.modified_count, "unread": counter["unread"]}

    async def _announce_read(self, user_id: str, payload: dict, unread: int) -> None:
        room = user_room(user_id)
        await self.sio.emit(events.NOTIFICATION_READ, payload, room=room)
        await self.sio.emit(events.NOTIFICATION_UNREAD_COUNT, {"unread": unread}, room=room)

    # -- connect: replay then join -------------------------------------------------------
    async def _page(self, user_id: str, after: int, upto: int) -> list[dict]:
        match = {"user_id": user_id, "seq": {"$gt": after, "$lte": upto}}
        page = await self.db[NOTIFICATIONS].find(match).to_list(None)
        page.sort(key=lambda d: d["seq"])
        return page

    async def join_user(self, sid: str, identity: Identity, auth: Any) -> None:
        """SocketAuth's user-room step: replay what the socket missed, then enter `user:<id>`."""
        last_seq = parse_last_seq(auth)
        user_id = identity.user_id
        async with self.locks(user_id):
            # Inside the lock no notification of this user is being created (here), so the counter
            # bounds the replay. Pages are seq ranges, not sort+limit: SecantusDB can neither stop
            # a scan at the limit nor take the order from the index, and a 1,000-item replay did
            # 5 scans-and-sorts of what was left.
            counter = await self.db[COUNTERS].find_one({"_id": f"inbox:{user_id}"}) or {}
            top = counter.get("seq", 0)
            replayed = 0
            bounds = [] if last_seq is None else [(lo, min(lo + REPLAY_PAGE, top))
                                                  for lo in range(last_seq, top, REPLAY_PAGE)]
            # The next page is read while this one is sent: the database and the server use both cores.
            ahead = asyncio.ensure_future(self._page(user_id, *bounds[0])) if bounds else None
            try:
                for i in range(len(bounds)):
                    page = await ahead
                    ahead = asyncio.ensure_future(self._page(user_id, *bounds[i + 1])) if i + 1 < len(bounds) else None
                    for doc in page:
                        await self.sio.emit(events.NOTIFICATION_NEW, public(doc), to=sid)
                    replayed += len(page)
            finally:
                if ahead is not None:
                    ahead.cancel()
            await watch.join_user(self.sio, sid, user_id)
            await self.sio.emit(events.NOTIFICATION_SYNCED,
                                {"last_seq": counter.get("seq", 0), "replayed": replayed}, to=sid)
            await self.sio.emit(events.NOTIFICATION_UNREAD_COUNT, {"unread": counter.get("unread", 0)}, to=sid)
        self.metrics.connections.labels("new" if last_seq is None else "reconnect").inc()
        if replayed:
            self.metrics.replayed.inc(replayed)
            log.info("socket %s: replayed %d notifications after seq %s", sid[:8], replayed, last_seq)


def parse_last_seq(auth: Any) -> int | None:
    raw = auth.get("last_seq") if isinstance(auth, dict) else None
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise Invalid("last_seq must be a whole number ≥ 0", code="invalid_last_seq")
    return raw
