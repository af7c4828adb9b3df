"""The device registry: provisioning, secrets, assignment, and authenticating a device.

Secrets. A device secret is 32 random bytes shown once at provisioning (and at rotation).
We store HMAC-SHA256(pepper, secret), the pepper being derived from JWT_SECRET, not an
argon2 hash: devices authenticate on *every* HTTP request, argon2 would cost ~50 ms of CPU
each time, and a slow hash only protects guessable secrets; a 256-bit random secret cannot be
guessed, and the keyed hash means a leaked `devices` collection alone cannot be used to test
candidates. The keyed hash is also indexed (unique), so a bearer token alone identifies its
device. Verified records are cached per process; rotate/revoke/update clear this process's
cache, and every process sees a change within CACHE_SECONDS: `refresh()` (every CACHE_SECONDS,
server/app.py) asks for the devices whose `updated_at` moved since its last pass, one indexed
query whatever the fleet size, and drops their entries. Why not a plain TTL: with a 5 s TTL a
device sending every 5 s missed the cache on nearly every reading, and at 10,000 devices
those per-reading `find_one`s took 64 % of the server (bench fleet, py-spy). If the refresh
has not run for 3 × CACHE_SECONDS (the database away), the cache is not trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from cachetools import TTLCache
from pymongo import IndexModel, UpdateOne
from pymongo.errors import DuplicateKeyError

from models.common import new_id
from models.devices import DeviceCreateIn, DeviceUpdateIn
from models.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from server.clock import Clock
from server.settings import Settings
from server.storage.db import Database

COLLECTION = "devices"
TOKEN_PREFIX = "fdj_"
CACHE_SECONDS = 5.0
CACHE_IDLE_S = 600.0     # an entry nobody used for this long is dropped
CACHE_SIZE = 100_000     # two keys per device (its id, its secret's hash)
CHANGE_MARGIN_S = 2.0    # clock skew between processes writing `updated_at`


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def taken(exc: DuplicateKeyError) -> Conflict:
    """The 409 for a unique index the write hit: the DevEUI, the MAC or the device id."""
    text = str(exc.details or exc)
    field = "dev_eui" if "dev_eui" in text else "mac" if "mac" in text else "device_id"
    message = "Another device has this DevEUI" if field == "dev_eui" else f"A device with this {field} exists"
    return Conflict(message, code=f"{field}_taken", details=[{"field": field, "message": "already registered"}])


class Devices:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db, self.clock = db, clock
        self._pepper = hmac.new(settings.jwt_secret.encode(), b"fadjma device secret pepper", hashlib.sha256).digest()
        self._cache: TTLCache[str, dict] = TTLCache(maxsize=CACHE_SIZE, ttl=CACHE_IDLE_S)
        self._refreshed_at = float("-inf")  # loop time of the last refresh() that reached the database
        self._distrusted_at = float("-inf")  # when a late refresh last made _cached() drop the cache
        self._changes_since = clock.now()
        db.declare(COLLECTION, IndexModel("mac", unique=True), IndexModel("secret_hash", unique=True),
                   IndexModel("patient_id"), IndexModel("updated_at"),
                   # one device per DevEUI (uplinks must not reach another patient's device); many have none
                   IndexModel("dev_eui", unique=True, name="one_device_per_dev_eui",
                              partialFilterExpression={"dev_eui": {"$type": "string"}}))
        db.retire(COLLECTION, "dev_eui_1")  # the earlier non-unique index on the same key

    def hash_secret(self, token: str) -> str:
        return hmac.new(self._pepper, token.encode(), hashlib.sha256).hexdigest()

    # -- registry -------------------------------------------------------------------
    async def _check_patient(self, patient_id: str | None) -> None:
        if patient_id is None:
            return
        user = await self.db["users"].find_one({"_id": patient_id}, {"role": 1})
        if not user or user.get("role") != "patient":
            raise Invalid("patient_id is not a patient",
                          details=[{"field": "patient_id", "message": "no such patient"}])

    async def create(self, body: DeviceCreateIn) -> tuple[dict, str]:
        """Provision a device; returns (doc, token). The token is never stored nor shown again."""
        await self._check_patient(body.patient_id)
        token, now = new_token(), self.clock.now()
        doc = {**body.model_dump(exclude={"device_id"}), "_id": body.device_id or new_id()[:16],
               "secret_hash": self.hash_secret(token), "secret_rotated_at": now, "revoked_at": None,
               "online": False, "last_seen": None, "battery": None, "signal_quality": None,
               "rejected_count": 0, "created_at": now, "updated_at": now}
        try:
            await self.db[COLLECTION].insert_one(doc)
        except DuplicateKeyError as exc:
            raise taken(exc) from None
        return doc, token

    async def get(self, device_id: str) -> dict:
        doc = await self.db[COLLECTION].find_one({"_id": device_id})
        if doc is None:
            raise NotFound("No such device")
        return doc

    async def list(self, patient_id: str | None = None) -> list[dict]:
        docs = await self.db[COLLECTION].find({"patient_id": patient_id} if patient_id else {}).to_list(None)
        return sorted(docs, key=lambda d: d["created_at"])

    async def update(self, device_id: str, body: DeviceUpdateIn) -> dict:
        changes = body.changes()
        if "patient_id" in changes:
            await self._check_patient(changes["patient_id"])
        changes["updated_at"] = self.clock.now()
        try:
            doc = await self.db[COLLECTION].find_one_and_update(
                {"_id": device_id}, {"$set": changes}, return_document=True)
        except DuplicateKeyError as exc:
            raise taken(exc) from None
        if doc is None:
            raise NotFound("No such device")
        self._cache.clear()
        return doc

    async def rotate(self, device_id: str) -> tuple[dict, str]:
        token, now = new_token(), self.clock.now()
        doc = await self.db[COLLECTION].find_one_and_update(
            {"_id": device_id}, {"$set": {"secret_hash": self.hash_secret(token), "secret_rotated_at": now,
                                          "revoked_at": None, "updated_at": now}}, return_document=True)
        if doc is None:
            raise NotFound("No such device")
        self._cache.clear()
        return doc, token

    async def revoke(self, device_id: str) -> dict:
        now = self.clock.now()
        # The unique index needs a distinct value; this one matches no token's hash.
        doc = await self.db[COLLECTION].find_one_and_update(
            {"_id": device_id}, {"$set": {"secret_hash": f"revoked:{new_id()}", "revoked_at": now,
                                          "updated_at": now}}, return_document=True)
        if doc is None:
            raise NotFound("No such device")
        self._cache.clear()
        return doc

    # -- authentication -------------------------------------------------------------
    async def authenticate(self, token: str | None, device_id: str | None = None) -> dict:
        """The device owning `token`; with `device_id`, it must be that device (no impersonation)."""
        if not token or not isinstance(token, str) or len(token) > 256:
            raise Unauthorized("A device token is required", code="token_missing")
        key = self.hash_secret(token)
        doc = await self._cached(key, {"secret_hash": key})
        if doc is None or doc.get("revoked_at"):
            raise Unauthorized("Unknown or revoked device token", code="token_invalid")
        if device_id is not None and device_id != doc["_id"]:
            raise Forbidden("This token belongs to another device", code="device_mismatch")
        return doc

    async def current(self, device_id: str) -> dict:
        """A connected device's record, refreshed every few seconds (assignment, revocation)."""
        doc = await self._cached(device_id, {"_id": device_id})
        if doc is None or doc.get("revoked_at"):
            raise Unauthorized("This device was revoked", code="token_revoked")
        return doc

    async def refresh(self) -> int:
        """Drop the cached records of devices changed (any process) since the last pass."""
        started, now = self.clock.timestamp(), self.clock.now()
        since = self._changes_since - timedelta(seconds=CHANGE_MARGIN_S)
        changed = {d["_id"] async for d in self.db[COLLECTION].find({"updated_at": {"$gte": since}}, {"_id": 1})}
        if changed:
            for key in [k for k, doc in list(self._cache.items()) if doc["_id"] in changed]:
                self._cache.pop(key, None)
        self._changes_since, self._refreshed_at = now, started
        return len(changed)

    async def _cached(self, key: str, query: dict) -> dict | None:
        now = self.clock.timestamp()
        if now - self._refreshed_at > 3 * CACHE_SECONDS and now - self._distrusted_at > CACHE_SECONDS:
            # Changes may have been missed: drop everything, then keep what is read again for one
            # CACHE_SECONDS at most, as a working refresh would. Dropping it on every look-up instead
            # sent every reading of a loaded 10,000-device fleet to the database (bench fleet), which
            # loaded it more and kept the refresh late: 8.6 % acked.
            self._cache.clear()
            self._distrusted_at = now
        doc = self._cache.get(key)
        if doc is None:
            doc = await self.db[COLLECTION].find_one(query)
            if doc is not None:  # under both keys: a socket authenticated by its secret then reads by id
                self._cache[doc["_id"]] = self._cache[doc["secret_hash"]] = doc
        return doc

    async def by_dev_eui(self, dev_eui: str | None, device_id: str | None) -> dict:
        """LoRaWAN: the device registered with this DevEUI (or, failing that, this id)."""
        doc = None
        if not isinstance(dev_eui or "", str) or not isinstance(device_id or "", str):
            raise Invalid("A device id is a string")  # never a query operator
        if dev_eui:
            doc = await self.db[COLLECTION].find_one({"dev_eui": dev_eui.replace(":", "").upper()})
        if doc is None and device_id:
            doc = await self.db[COLLECTION].find_one({"_id": device_id})
        if doc is None or doc.get("revoked_at"):
            raise NotFound("No registered device for this uplink", code="unknown_device")
        return doc

    # -- what the transports and ingest learn about a device (this module owns `devices`) ----------
    async def count_rejection(self, device_id: str | None) -> None:
        await self.db[COLLECTION].update_one({"_id": device_id}, {"$inc": {"rejected_count": 1}})

    async def mark_seen(self, seen: list[tuple[str, datetime]]) -> None:
        """Stored `last_seen` for many devices in one write (ingest's presence subscriber)."""
        await self.db[COLLECTION].bulk_write([UpdateOne({"_id": d}, {"$set": {"last_seen": at}}) for d, at in seen],
                                             ordered=False)

    async def heard(self, device_id: str, fields: dict, now: datetime) -> None:
        """A heartbeat: its fields, and the device was seen now."""
        await self.db[COLLECTION].update_one({"_id": device_id},
                                             {"$set": {**fields, "last_seen": now, "last_heartbeat_at": now}})

    async def set_online(self, device_id: str, online: bool, now: datetime, process: str) -> None:
        """Presence is per process (`online_on`): online while any live process holds the device."""
        coll = self.db[COLLECTION]
        if online:
            await coll.update_one({"_id": device_id}, {"$addToSet": {"online_on": process},
                                                       "$set": {"online": True, "status_changed_at": now}})
            return
        await coll.update_one({"_id": device_id}, {"$pull": {"online_on": process}})
        await coll.update_one({"_id": device_id, "online": True, "online_on": {"$size": 0}},
                              {"$set": {"online": False, "status_changed_at": now}})

    async def reap(self, live: list[str], now: datetime) -> int:
        """Devices held only by processes without a live lease (crashed, or before leases) go offline."""
        coll = self.db[COLLECTION]
        await coll.update_many({"online": True}, {"$pull": {"online_on": {"$nin": live}}})
        done = await coll.update_many(
            {"online": True, "$or": [{"online_on": {"$size": 0}}, {"online_on": {"$exists": False}}]},
            {"$set": {"online": False, "status_changed_at": now}})
        return done.modified_count

    async def set_interval(self, device_id: str, interval_s: int) -> None:
        await self.db[COLLECTION].update_one({"_id": device_id},
                                             {"$set": {"interval_s": interval_s, "updated_at": self.clock.now()}})
