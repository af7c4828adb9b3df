"""The one way in for readings: validate → normalise → dedupe → group commit → ack → publish.

Every transport (Socket.IO, raw WebSocket, HTTP, MQTT, LoRaWAN, the demo simulator) calls
`Ingest.submit(device, raw, source)` with the authenticated device's record. The call
returns only once the reading is durably written (or known to be a duplicate or rejected):

- the writer task takes everything pending and stores it with one `insert_many(ordered=False)`
  (group commit: ~8,000 docs/s on SecantusDB instead of ~1,400 one by one). When idle it waits
  `max_wait` seconds after the first arrival to let a batch form; under load the batch is
  simply whatever queued during the previous write;
- a reading's identity `_id` is `"<device_id>:<seq>"`; server.iot.vitals_store writes the
  commit exactly once per identity, as rows (a reading alone for its patient) and packs
  (several of one patient), and says which were duplicates (a replayed buffer);
- after the write the publisher task, strictly in commit order, updates the latest values
  (kept in memory for this process's readers, staged in server.storage.write_behind for
  `vitals_latest`) and emits `vitals:new` to `patient:<id>`. It holds `self.lock` for that so a watcher's snapshot
  (handlers.vitals) is taken either before or after a batch, never in the middle: snapshot,
  then live, no gap. The subscribers (devices' last_seen, hourly rollups, alerts) then run in
  their own task, also in commit order, so their writes never delay the live readings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import socketio
from cachetools import TTLCache
from pymongo import IndexModel

from models.common import new_id, parse
from models.documents import public
from models.errors import Invalid
from models.vitals import MESSAGE_FIELDS, Rejected, VitalsIn, build_message
from rooms import watch
from rooms.names import patient_room
from server.clock import Clock
from server.iot.registry import Devices
from server.iot.vitals_store import VitalsStore
from server.jobs import stop
from server.ops.metrics import Metrics
from server.realtime import events
from server.storage import paging
from server.storage.db import Database
from server.storage.write_behind import WriteBehind

log = logging.getLogger(__name__)

LATEST, REJECTED = "vitals_latest", "vitals_rejected"
# Rejected frames are kept this long (TTL index on received_at) for GET /api/iot/devices/{id}/rejected;
# the device's rejected_count stays. Their log line is written at most once per device per REJECTED_LOG_S.
REJECTED_TTL_S, REJECTED_LOG_S = 7 * 86400, 60.0
# Latest values cached longer than this are re-read: another process may write them meanwhile.
LATEST_CACHE_S = 30.0
MessagesCallback = Callable[[list[dict]], Awaitable[None]]
DeviceCallback = Callable[[dict], Awaitable[None]]


class Ingest:
    def __init__(self, db: Database, clock: Clock, derived: WriteBehind, sio: socketio.AsyncServer | None = None,
                 *, registry: Devices | None = None, max_batch: int = 2000, max_wait: float = 0.003,
                 metrics: Metrics | None = None, store: VitalsStore | None = None) -> None:
        self.db, self.clock, self.derived, self.sio, self.registry = db, clock, derived, sio, registry
        self.metrics = metrics or Metrics()
        self.max_batch, self.max_wait = max_batch, max_wait
        self.lock = asyncio.Lock()
        self._pending: list[tuple[dict, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._published: asyncio.Queue[list[dict]] = asyncio.Queue(maxsize=16)
        self._subscribed: asyncio.Queue[list[dict]] = asyncio.Queue(maxsize=64)
        self._subscribers: list[MessagesCallback] = []
        self._device_subscribers: list[DeviceCallback] = []
        # patient → kind → latest reading, as this process wrote it (staged or flushed).
        self._latest: TTLCache[str, dict[str, dict]] = TTLCache(maxsize=100_000, ttl=LATEST_CACHE_S)
        self.store = store or VitalsStore(db, clock)
        db.declare(REJECTED, IndexModel([("device_id", 1), ("received_at", 1)]),
                   IndexModel("received_at", expireAfterSeconds=REJECTED_TTL_S))
        self._rejection_logged: TTLCache[str, list] = TTLCache(maxsize=100_000, ttl=REJECTED_LOG_S * 10)

    # -- the contract (interfaces.md) ---------------------------------------------------
    def subscribe(self, callback: MessagesCallback) -> None:
        self._subscribers.append(callback)

    def subscribe_device_events(self, callback: DeviceCallback) -> None:
        self._device_subscribers.append(callback)

    async def watch(self, sid: str, patient_id: str, recheck: Callable[[], Awaitable[None]]) -> dict:
        """A watcher (already authorised) gets the snapshot, then every `vitals:new`: the lock keeps
        the publisher out between the two, so there is no gap and no duplicate.

        `recheck()` (raising when access ended) runs again once the socket is in the room: a
        revoke whose eviction ran between the caller's check and the join is seen here, and one
        that comes later evicts this socket, so no window is left."""
        async with self.lock:
            await watch.watch_patient(self.sio, sid, patient_id)
            try:
                await recheck()
            except BaseException:
                await watch.unwatch_patient(self.sio, sid, patient_id)
                raise
            snapshot = {"patient_id": patient_id, "readings": await self.latest(patient_id)}
            await self.sio.emit(events.VITALS_SNAPSHOT, snapshot, to=sid)
        return snapshot

    async def unwatch(self, sid: str, patient_id: str) -> None:
        await watch.unwatch_patient(self.sio, sid, patient_id)

    async def rejections(self, device_id: str, cursor: str | None = None,
                         limit: int = 100) -> tuple[list[dict], str | None]:
        """A page of a device's rejected frames, newest first along (device_id, received_at)."""
        return await paging.page(self.db[REJECTED], {"device_id": device_id}, [("received_at", -1), ("_id", -1)],
                                 cursor, limit)

    async def publish_device_event(self, event: dict) -> None:
        """Called by server.iot.registry once a heartbeat, alert or status change is stored."""
        for callback in self._device_subscribers:
            try:
                await callback(event)
            except Exception:
                log.exception("device event subscriber failed")

    def _log_rejection(self, device_id: str, exc: Rejected) -> None:
        """One line per device per REJECTED_LOG_S, counting what it did not log: a device sending junk
        in a loop must not fill the log (every rejection is stored and counted anyway)."""
        now = self.clock.timestamp()
        seen = self._rejection_logged.get(device_id)  # [last logged at, not logged since]
        if seen is not None and now - seen[0] < REJECTED_LOG_S:
            seen[1] += 1
            return
        skipped = seen[1] if seen is not None else 0
        self._rejection_logged[device_id] = [now, 0]
        log.info("reading from %s rejected: %s%s", device_id, exc.message,
                 f" ({skipped} more rejections not logged)" if skipped else "")

    # -- submitting ---------------------------------------------------------------------
    async def submit(self, device: dict, raw: Any, source: str) -> dict:
        """Store one reading set for `device`; returns {status: accepted|duplicate|rejected, ...}."""
        now = self.clock.now()
        try:
            data = raw if isinstance(raw, VitalsIn) else _parse(raw)
            doc = build_message(device, data, now)
        except Rejected as exc:
            await self.record_rejection(device, raw, exc, source)
            seq = raw.get("seq") if isinstance(raw, dict) else getattr(raw, "seq", None)
            return {"status": "rejected", "seq": seq, "code": exc.code, "reason": exc.message,
                    "details": exc.details}
        doc["source"] = source
        future = asyncio.get_running_loop().create_future()
        self._pending.append((doc, future))
        self._wake.set()
        if len(self._pending) >= self.max_batch:
            self._full.set()
        return await future

    async def record_rejection(self, device: dict, raw: Any, exc: Rejected, source: str) -> None:
        """Rejected readings are kept (raw, truncated) and counted on the device: never silently lost."""
        if hasattr(raw, "model_dump"):
            raw = raw.model_dump(mode="json")
        payload = orjson.dumps(raw, default=str).decode()[:2000]
        self._log_rejection(str(device.get("_id")), exc)
        self.metrics.rejected.labels(exc.code).inc()
        await self.db[REJECTED].insert_one({
            "_id": new_id(), "device_id": device.get("_id"), "patient_id": device.get("patient_id"),
            "source": source, "code": exc.code, "reason": exc.message, "payload": payload,
            "received_at": self.clock.now()})
        if self.registry is not None:
            await self.registry.count_rejection(device.get("_id"))

    # -- background tasks -----------------------------------------------------------------
    async def run_writer(self) -> None:
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                if len(self._pending) < self.max_batch:  # idle → give a batch a moment to form
                    self._full.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._full.wait(), self.max_wait)
            batch = self._pending[:self.max_batch]
            del self._pending[:self.max_batch]
            stored = await self._commit(batch)
            if stored:
                await self._published.put(stored)

    async def _commit(self, batch: list[tuple[dict, asyncio.Future]]) -> list[dict]:
        docs = [doc for doc, _ in batch]
        self.metrics.batch_size.observe(len(docs))
        try:
            with self.metrics.write_seconds.time():
                dups = await self.store.store(docs)
        except Exception as exc:  # the database away: retry_later for the devices, one outage line
            self.db.outage.log_failure(log, exc, "group commit of %d readings failed", len(docs))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return []
        stored = []
        for i, (doc, future) in enumerate(batch):
            if i in dups:
                result = {"status": "duplicate", "id": doc["_id"], "seq": doc["seq"]}
            else:
                stored.append(doc)
                result = {"status": "accepted", "id": doc["_id"], "seq": doc["seq"]}
            if not future.done():
                future.set_result(result)
        self.metrics.readings.inc(len(stored))
        return stored

    def queued(self) -> int:
        """Readings waiting for the group commit (the /metrics buffer depth)."""
        return len(self._pending)

    async def run_publisher(self) -> None:
        while True:
            stored = await self._published.get()
            merged = 1
            # Under load, several commits wait here: publish them as one (fewer latest/rollup writes).
            while not self._published.empty():
                stored = stored + self._published.get_nowait()
                merged += 1
            try:
                async with self.lock:
                    await self._update_latest(stored)
                    if self.sio is not None:
                        for doc in stored:
                            await self.sio.emit(events.VITALS_NEW, public(doc, fields=MESSAGE_FIELDS),
                                                room=patient_room(doc["patient_id"]))
            except Exception:
                log.exception("publishing %d readings failed", len(stored))
            finally:
                # The subscribers (rollups, devices, alert engine: a dozen writes per patient) run in
                # their own task, in commit order, even if the live emit failed: bench fanout measured
                # them, inline, adding ~100 ms to every live reading at 500 watchers.
                await self._subscribed.put(stored)
                for _ in range(merged):
                    self._published.task_done()

    async def run_subscribers(self) -> None:
        while True:
            stored = await self._subscribed.get()
            try:
                for callback in self._subscribers:
                    try:
                        await callback(stored)
                    except Exception as exc:  # the database away: one outage line, not one per batch
                        self.db.outage.log_failure(log, exc, "ingest subscriber failed")
            finally:
                self._subscribed.task_done()

    async def settled(self) -> None:
        """Wait until everything acknowledged so far is published (latest, emits, subscribers) and
        its derived state is written."""
        while self._pending:  # noqa: ASYNC110 - tests and shutdown only; polling keeps the writer simple
            await asyncio.sleep(0.001)
        await self._published.join()
        await self._subscribed.join()
        await self.derived.flush()

    async def _update_latest(self, docs: list[dict]) -> None:
        """Per patient and kind, the reading with the newest device time (vitals_latest)."""
        newest: dict[str, dict[str, dict]] = {}
        for doc in docs:
            per = newest.setdefault(doc["patient_id"], {})
            for kind, r in doc["readings"].items():
                if kind not in per or doc["ts"] >= per[kind]["ts"]:
                    per[kind] = {**r, "ts": doc["ts"], "received_at": doc["received_at"],
                                 "device_id": doc["device_id"]}
        have = {pid: self._latest.get(pid) for pid in newest}
        have.update(await self._stored_latest([pid for pid, h in have.items() if h is None]))
        for pid, per in newest.items():
            sets = {k: v for k, v in per.items() if k not in have[pid] or v["ts"] >= have[pid][k]["ts"]}
            if sets:
                have[pid].update(sets)
                self.derived.stage(LATEST, pid, {"$set": {f"readings.{k}": v for k, v in sets.items()}})
            self._latest[pid] = have[pid]  # (re)starts its LATEST_CACHE_S

    async def _stored_latest(self, patient_ids: list[str]) -> dict[str, dict[str, dict]]:
        if not patient_ids:
            return {}
        found = {d["_id"]: d async for d in self.db[LATEST].find({"_id": {"$in": patient_ids}})}
        return {pid: dict((self.derived.overlay(LATEST, pid, found.get(pid)) or {}).get("readings", {}))
                for pid in patient_ids}

    async def latest(self, patient_id: str) -> dict:
        """{kind: reading}: this process's own latest values, else the stored ones (another process
        may be the writer, so they are not cached here)."""
        have = self._latest.get(patient_id)
        if have is None:
            have = (await self._stored_latest([patient_id]))[patient_id]
        return dict(have)


def _parse(raw: Any) -> VitalsIn:
    try:
        return parse(VitalsIn, raw)
    except Invalid as exc:
        raise Rejected("the reading set has invalid fields", code="invalid", details=exc.details) from None


def ingest_ctx(ingest: Ingest):
    """cleanup_ctx: the writer, publisher and subscriber tasks."""
    return lambda _app: _running(ingest)


async def _running(ingest: Ingest) -> Any:
    tasks = [asyncio.create_task(ingest.run_writer(), name="ingest-writer"),
             asyncio.create_task(ingest.run_publisher(), name="ingest-publisher"),
             asyncio.create_task(ingest.run_subscribers(), name="ingest-subscribers")]
    yield
    # What was acknowledged gets its latest values, rollups and alert evaluation before we stop.
    try:
        await asyncio.wait_for(ingest.settled(), 3.0)
    except TimeoutError:
        log.warning("ingest did not settle within 3 s at shutdown")
    except Exception:
        log.exception("settling ingest at shutdown failed")
    for task in tasks:
        await stop(task)
