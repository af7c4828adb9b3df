"""Where readings are stored: rows and packs (server.iot.packs), exactly once, and retention.

What SecantusDB charges (issue 16, bench/storage.py, database CPU per reading): a document
~55-75 µs, a secondary index entry ~45 µs even when sparse, a secondary UNIQUE index ~110-150
µs; only `_id` is a cheap unique key. Hence:

- a reading alone for its patient in a group commit (any live device) is one row in `vitals`,
  `_id` "<device_id>:<seq>" = its exactly-once key, with the (patient_id, ts) index and the
  `received_at` TTL: ~190 µs, unchanged from the one-shape design;
- several readings of one patient in one commit (a replayed buffer, a batch) are ONE pack in
  `vitals_packs` plus one `_id`-only claim per reading in `vitals_seen`: ~80 µs per reading at
  50 per pack.

Exactly once across the two shapes: a row is looked up in `vitals_seen` before it is written
(its `_id` then collides with an earlier row); a packed reading's claim collides with an earlier
claim (E11000), and after the claims are written the packed readings are looked up in `vitals`,
which finds a reading stored earlier as a row as well as one another process stored meanwhile
(the row wins). Either way the reading is pulled out of the pack (and its claim, if it took one,
deleted) and answered `duplicate`. One process's commits run one at a time (server.iot.ingest's
writer), so nothing of its own slips in between. A pack is inserted BEFORE its claims: a crash
between them leaves an unclaimed copy that a retry stores again (readers show an identity
once), never a claim without its reading.
No transaction is needed, so the same code runs on a standalone MongoDB.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pymongo import IndexModel
from pymongo.errors import BulkWriteError, OperationFailure

from server.clock import Clock
from server.iot import packs
from server.storage import paging
from server.storage.db import Database

log = logging.getLogger(__name__)
VITALS, PACKS, SEEN = "vitals", "vitals_packs", "vitals_seen"
KEYS = [("ts", 1), ("_id", 1)]  # the order of readings everywhere: measurement time, then identity


class VitalsStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        db.declare(VITALS, IndexModel([("patient_id", 1), ("ts", 1)]))
        db.declare(PACKS, IndexModel([("patient_id", 1), ("t", 1)]))

    # -- writing ------------------------------------------------------------------------
    async def store(self, docs: list[dict]) -> set[int]:
        """Store a group commit's readings; returns the indexes of `docs` already stored.

        Rows are looked up in `vitals_seen` first (a packed copy would not collide with them);
        packed readings need no look-up before: their claims collide with earlier claims
        (E11000), and the check after the write finds earlier rows as well as concurrent ones."""
        first: dict[str, int] = {}
        dups = set()
        for i, doc in enumerate(docs):
            if first.setdefault(doc["_id"], i) != i:
                dups.add(i)
        rows, pack_docs, lone = [], [], []
        now = self.clock.now()
        for run in packs.runs([docs[i] for i in first.values()]):
            if len(run) == 1:
                lone.extend(run)
            else:
                pack_docs.append(packs.pack(run, now))
        gone = await self._existing(SEEN, [d["_id"] for d in lone])
        rows = [d for d in lone if d["_id"] not in gone]
        gone |= await self._insert_rows(rows)
        if pack_docs:
            gone |= await self._insert_packs(pack_docs)
        return dups | {i for key, i in first.items() if key in gone}

    async def _existing(self, coll: str, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return {d["_id"] async for d in self.db[coll].find({"_id": {"$in": ids}}, {"_id": 1})}

    async def _insert_rows(self, rows: list[dict]) -> set[str]:
        if not rows:
            return set()
        try:
            await self.db[VITALS].insert_many(rows, ordered=False)
        except BulkWriteError as exc:
            return _duplicates(exc, [r["_id"] for r in rows])
        return set()

    async def _insert_packs(self, pack_docs: list[dict]) -> set[str]:
        await self.db[PACKS].insert_many(pack_docs, ordered=False)
        ids = [r["_id"] for p in pack_docs for r in p["r"]]
        lost: set[str] = set()
        try:
            await self.db[SEEN].insert_many([{"_id": i} for i in ids], ordered=False)
        except BulkWriteError as exc:
            lost = _duplicates(exc, ids)  # claimed earlier, or by another process meanwhile
        # Stored as a row, earlier or by another process meanwhile: the row wins, the claim goes.
        as_rows = await self._existing(VITALS, [i for i in ids if i not in lost])
        if as_rows:
            await self.db[SEEN].delete_many({"_id": {"$in": list(as_rows)}})
        lost |= as_rows
        if lost:  # a replayed buffer, mostly: one update per pack touched
            for p in pack_docs:
                mine = [r["_id"] for r in p["r"] if r["_id"] in lost]
                if len(mine) == len(p["r"]):
                    await self.db[PACKS].delete_one({"_id": p["_id"]})
                elif mine:
                    await self.db[PACKS].update_one({"_id": p["_id"]}, {"$pull": {"r": {"_id": {"$in": mine}}},
                                                                         "$inc": {"n": -len(mine)}})
        return lost

    # -- reading ------------------------------------------------------------------------
    async def find(self, patient_id: str, ts: dict, fields: tuple[str, ...] | None = None) -> list[dict]:
        """One patient's readings whose `ts` matches `ts`, each once, in (ts, _id) order; with
        `fields`, only those (plus `_id`, `ts`)."""
        rows = await self.db[VITALS].find({"patient_id": patient_id, "ts": ts},
                                          _projection(fields, "")).to_list(None)
        return packs.merged(rows, await self._packs(patient_id, ts, fields), ts)

    async def _packs(self, patient_id: str, ts: dict, fields: tuple[str, ...] | None) -> list[dict]:
        projection = None if fields is None else {"patient_id": 1, **_projection(fields, "r.")}
        return await self.db[PACKS].find({"patient_id": patient_id, **packs.window(ts)}, projection).to_list(None)

    async def page(self, patient_id: str, ts: dict, field: str, after: tuple[datetime, str] | None,
                   limit: int) -> tuple[list[dict], bool]:
        """Readings with `field`, `ts` in the range, after the key `after`, at most `limit`, in
        (ts, _id) order; and whether there are more. Rows are paged along their index; packs
        are read up to the last row of the page (a batch is at most one raw window anyway)."""
        match: dict = {"patient_id": patient_id, "ts": ts, field: {"$exists": True}}
        if after is not None:
            match = {"$and": [match, paging.after(KEYS, list(after))]}
        rows = await self.db[VITALS].find(match, {"ts": 1, field: 1}).sort(KEYS) \
            .limit(limit + 1).to_list(None)
        more = len(rows) > limit
        rows = rows[:limit]
        cond = dict(ts)
        if after is not None:
            cond = {**{k: v for k, v in ts.items() if k not in ("$gt", "$gte")}, "$gte": after[0]}
        if more:
            cond = {**{k: v for k, v in cond.items() if k not in ("$lt", "$lte")}, "$lte": rows[-1]["ts"]}
        found = [d for d in packs.merged(rows, await self._packs(patient_id, cond, ("ts", field)), cond)
                 if field_of(d, field) is not None and (after is None or (d["ts"], d["_id"]) > after)]
        return found[:limit], more or len(found) > limit

    async def binned(self, patient_id: str, ts: dict, field: str, minutes: int) -> dict[datetime, list[float]]:
        """min, max, sum, count of `field` per `minutes` of measurement time: rows grouped by the
        database (`$dateTrunc`), packs here."""
        rows = await (await self.db[VITALS].aggregate([
            {"$match": {"patient_id": patient_id, "ts": ts, field: {"$exists": True}}},
            {"$group": {"_id": {"$dateTrunc": {"date": "$ts", "unit": "minute", "binSize": minutes}},
                        "min": {"$min": f"${field}"}, "max": {"$max": f"${field}"},
                        "sum": {"$sum": f"${field}"}, "count": {"$sum": 1}}},
        ])).to_list(None)
        out = {r["_id"]: [r["min"], r["max"], r["sum"], r["count"]] for r in rows}
        for d in packs.merged([], await self._packs(patient_id, ts, ("ts", field)), ts):
            v = field_of(d, field)
            if v is None:
                continue
            t = d["ts"]
            key = t.replace(minute=t.minute - t.minute % minutes, second=0, microsecond=0)
            acc = out.setdefault(key, [v, v, 0.0, 0])
            acc[0], acc[1], acc[2], acc[3] = min(acc[0], v), max(acc[1], v), acc[2] + v, acc[3] + 1
        return out

    # -- retention ----------------------------------------------------------------------
    async def ensure_retention(self, retention: timedelta) -> None:
        """Rows: the TTL index, changed in place (collMod) when VITALS_RETENTION_DAYS changes."""
        seconds = int(retention.total_seconds())
        try:
            await self.db[VITALS].create_index("received_at", expireAfterSeconds=seconds, name="received_at_ttl")
        except OperationFailure:
            await self.db.db.command({"collMod": VITALS, "index": {"name": "received_at_ttl",
                                                                   "expireAfterSeconds": seconds}})

    async def purge_expired(self, retention: timedelta) -> int:
        """Packs committed more than `retention` ago go, then their claims (a claim outliving its
        pack only answers `duplicate` for an expired reading). Returns the readings removed."""
        cutoff = packs.id_prefix(self.clock.now() - retention)
        removed = 0
        while True:
            old = await self.db[PACKS].find({"_id": {"$lt": cutoff}}, {"r._id": 1}).limit(200).to_list(None)
            if not old:
                return removed
            ids = [r["_id"] for p in old for r in p.get("r", ())]
            await self.db[PACKS].delete_many({"_id": {"$in": [p["_id"] for p in old]}})
            await self.db[SEEN].delete_many({"_id": {"$in": ids}})
            removed += len(ids)


def field_of(doc: dict, dotted: str):
    for part in dotted.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def _projection(fields: tuple[str, ...] | None, prefix: str) -> dict | None:
    if fields is None:
        return None
    return {f"{prefix}{f}": 1 for f in ("_id", "ts", *fields)}


def _duplicates(exc: BulkWriteError, ids: list[str]) -> set[str]:
    errors = exc.details.get("writeErrors", [])
    if any(e.get("code") != 11000 for e in errors):
        raise exc
    return {ids[e["index"]] for e in errors}
