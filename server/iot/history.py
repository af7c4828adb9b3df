"""Vital-sign history: bucketed queries, statistics, hourly rollups and retention.

Raw readings (rows and packs, server.iot.vitals_store) go VITALS_RETENTION_DAYS after they were
received (rows: TTL index on `received_at`; packs: `purge_expired()`, a periodic pass over the
commit time; the server's clock either way: a device with a wrong clock can neither keep nor
lose data early). Hourly rollups (`vitals_hours`: one document per patient and hour of device time,
with min, max, sum and count per vital) are folded in at every group commit, written behind
the acknowledgement (server.storage.write_behind: one statement per patient and hour per flush), and
never expire, so 1h and 1d history stays available for ever. raw/1m/5m buckets come from
raw readings; every query is an indexed (patient_id, time) range, as SecantusDB cannot stop a
scan early.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Literal

from pymongo import IndexModel

from models.errors import Invalid
from models.vitals import KINDS
from server.clock import Clock
from server.iot.vitals_store import VitalsStore
from server.storage import paging
from server.storage.db import Database
from server.storage.write_behind import WriteBehind

log = logging.getLogger(__name__)
HOURLY = "vitals_hours"
Bucket = Literal["raw", "1m", "5m", "1h", "1d"]
BUCKETS = {"1m": ("minute", 1), "5m": ("minute", 5), "1h": ("hour", 1), "1d": ("day", 1)}
MAX_RAW_POINTS = 10_000
MAX_SPAN = {"raw": timedelta(days=2), "1m": timedelta(days=7), "5m": timedelta(days=31)}


class VitalsHistory:
    def __init__(self, db: Database, clock: Clock, derived: WriteBehind, retention_days: int,
                 store: VitalsStore) -> None:
        self.db, self.clock, self.derived, self.store = db, clock, derived, store
        self.retention = timedelta(days=retention_days)
        db.declare(HOURLY, IndexModel([("patient_id", 1), ("hour", 1)]))

    async def ensure_retention(self) -> None:
        await self.store.ensure_retention(self.retention)

    async def purge_expired(self) -> None:
        """Periodic pass: packed readings older than the retention period go (the rollups stay)."""
        removed = await self.store.purge_expired(self.retention)
        if removed:
            log.info("retention removed %d packed readings", removed)

    async def roll_up(self, docs: list[dict]) -> None:
        """Ingest subscriber: fold a committed batch into the hourly rollups."""
        acc: dict[tuple[str, datetime], dict[str, list[float]]] = {}
        for doc in docs:
            hour = doc["ts"].replace(minute=0, second=0, microsecond=0)
            per = acc.setdefault((doc["patient_id"], hour), {})
            for kind, r in doc["readings"].items():
                per.setdefault(kind, []).append(r["value"])
        for (pid, hour), per in acc.items():
            self.derived.stage(HOURLY, _hour_id(pid, hour), {
                "$setOnInsert": {"patient_id": pid, "hour": hour},
                "$min": {f"kinds.{k}.min": min(v) for k, v in per.items()},
                "$max": {f"kinds.{k}.max": max(v) for k, v in per.items()},
                "$inc": {**{f"kinds.{k}.sum": sum(v) for k, v in per.items()},
                         **{f"kinds.{k}.count": len(v) for k, v in per.items()}}})

    # -- queries ----------------------------------------------------------------------
    def _window(self, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
        end = end or self.clock.now()
        start = start or end - timedelta(days=1)
        if start >= end:
            raise Invalid("`from` must be before `to`", details=[{"field": "from", "message": "after to"}])
        return start, end

    async def history(self, patient_id: str, kind: str, bucket: str, start: datetime | None,
                      end: datetime | None, cursor: str | None = None,
                      limit: int = MAX_RAW_POINTS) -> tuple[list[dict], str | None]:
        """Points, and for `raw` the cursor of the next page when the window holds more than `limit`."""
        if kind not in KINDS:
            raise Invalid(f"kind must be one of {', '.join(KINDS)}", details=[{"field": "kind", "message": "unknown"}])
        if bucket not in ("raw", *BUCKETS):
            raise Invalid("bucket must be raw, 1m, 5m, 1h or 1d", details=[{"field": "bucket", "message": "unknown"}])
        start, end = self._window(start, end)
        if bucket in MAX_SPAN and end - start > MAX_SPAN[bucket]:
            raise Invalid(f"a {bucket} history spans at most {MAX_SPAN[bucket].days} days; use a coarser bucket",
                          code="range_too_large")
        field = f"readings.{kind}.value"
        rng = {"$gte": start, "$lt": end}
        if bucket == "raw":  # paged along (ts, _id), never cut silently
            after = tuple(paging.decode(cursor, 2)) if cursor else None
            docs, more = await self.store.page(patient_id, rng, field, after, min(limit, MAX_RAW_POINTS))
            return [{"t": d["ts"].isoformat(), "min": v, "max": v, "avg": v, "count": 1}
                    for d in docs for v in [d["readings"][kind]["value"]]], \
                (paging.encode([docs[-1]["ts"], docs[-1]["_id"]]) if more and docs else None)
        if bucket in ("1h", "1d"):
            return await self._from_rollups(patient_id, kind, bucket, start, end), None
        bins = await self.store.binned(patient_id, rng, field, BUCKETS[bucket][1])
        return [_row(t, lo, hi, total / count, count) for t, (lo, hi, total, count) in sorted(bins.items())], None

    async def _from_rollups(self, patient_id: str, kind: str, bucket: str, start: datetime,
                            end: datetime) -> list[dict]:
        # Hour-aligned: a 1h/1d bucket is made of whole hours of the rollup collection.
        start = start.replace(minute=0, second=0, microsecond=0)
        stored = {d["_id"]: d for d in await self.db[HOURLY].find(
            {"patient_id": patient_id, "hour": {"$gte": start, "$lt": end}}).to_list(None)}
        # This process's rollups not flushed yet (read-your-writes).
        staged = [i for i in self.derived.pending_ids(HOURLY) if i.startswith(f"{patient_id}|")]
        groups: dict[datetime, list[dict]] = {}
        for _id in {*stored, *staged}:
            doc = self.derived.overlay(HOURLY, _id, stored.get(_id))
            h = (doc.get("kinds") or {}).get(kind)
            if not h or not start <= doc["hour"] < end:
                continue
            key = doc["hour"] if bucket == "1h" else doc["hour"].replace(hour=0)
            groups.setdefault(key, []).append(h)
        out = []
        for key in sorted(groups):
            hs = groups[key]
            count = sum(h["count"] for h in hs)
            out.append(_row(key, min(h["min"] for h in hs), max(h["max"] for h in hs),
                            sum(h["sum"] for h in hs) / count, count))
        return out

    async def readings(self, patient_id: str, ts: dict) -> list[dict]:
        """Stored readings of one patient whose `ts` matches `ts` (a range), newest first."""
        return list(reversed(await self.store.find(patient_id, ts)))

    async def reading_sets(self, patient_id: str, ts: dict, newest_first: bool = True) -> list[dict]:
        """The stored reading sets of one patient with `ts` in the range `ts`, in measurement order
        (FHIR walks a range in slices). Each is {patient_id, device_id, seq, ts, received_at,
        clock_suspect, readings}."""
        docs = [{k: v for k, v in d.items() if k != "_id"} for d in await self.store.find(patient_id, ts)]
        return docs[::-1] if newest_first else docs

    async def statistics(self, patient_id: str, start: datetime | None, end: datetime | None) -> dict:
        """Per vital over a period: min, max, avg, count, first and last reading time.

        Within the retention period from raw readings (exact); older periods from the
        hourly rollups (hour-aligned), said in `source`."""
        start, end = self._window(start, end)
        if start >= self.clock.now() - self.retention:
            docs = await self.store.find(patient_id, {"$gte": start, "$lt": end}, ("readings",))
            values: dict[str, list[tuple[datetime, float]]] = {}
            for d in docs:
                for kind, r in d["readings"].items():
                    values.setdefault(kind, []).append((d["ts"], r["value"]))
            stats = {k: {"min": min(x for _, x in v), "max": max(x for _, x in v),
                         "avg": round(sum(x for _, x in v) / len(v), 2), "count": len(v),
                         "first": min(t for t, _ in v).isoformat(), "last": max(t for t, _ in v).isoformat(),
                         "unit": KINDS[k].unit, "loinc": KINDS[k].loinc} for k, v in values.items()}
            return {"from": start.isoformat(), "to": end.isoformat(), "source": "raw", "vitals": stats}
        stats = {}
        for kind in KINDS:
            rows = await self._from_rollups(patient_id, kind, "1h", start, end)
            if rows:
                count = sum(r["count"] for r in rows)
                stats[kind] = {"min": min(r["min"] for r in rows), "max": max(r["max"] for r in rows),
                               "avg": round(sum(r["avg"] * r["count"] for r in rows) / count, 2), "count": count,
                               "first": rows[0]["t"], "last": rows[-1]["t"],
                               "unit": KINDS[kind].unit, "loinc": KINDS[kind].loinc}
        return {"from": start.isoformat(), "to": end.isoformat(), "source": "hourly", "vitals": stats}


def _hour_id(patient_id: str, hour: datetime) -> str:
    return f"{patient_id}|{hour.isoformat()}"


def _row(t: datetime, lo: float, hi: float, avg: float, count: int) -> dict:
    return {"t": t.isoformat(), "min": lo, "max": hi, "avg": round(avg, 2), "count": count}
