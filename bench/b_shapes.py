"""`python -m bench shapes`: the vitals store alone, by commit shape, against one document per reading.

On one fresh embedded SecantusDB, back to back and repeated `--rounds` times (the machine's noise
shows as the spread between rounds):

- **ceiling**: raw `insert_many` of the one-document-per-reading documents the earlier design
  stored (`_id` "<device>:<seq>", indexes (patient_id, ts) and the `received_at` TTL), `--commit`
  readings per call: what a one-document-per-reading ingest cannot pass whatever the server does;
- **store k**: the real `VitalsStore.store` (server.iot.vitals_store: look-ups, rows, packs,
  claims, the race check), commits of `--commit` readings made of `--commit`/k patients with k
  readings each: k = 1 is a live fleet (every reading a row), k >= 2 a batch or a replayed buffer
  (packs).

Each prints readings/s, its ratio to the same round's ceiling, and the database's CPU µs per
reading (the stable figure: it does not depend on what else the machine runs). Then reads of one
patient's hour of 1 Hz readings stored as rows and as packs of 50: a raw history page, the
minute bins and one reading by time (what a FHIR read by id does).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import AsyncMongoClient, IndexModel

from bench.common import cpu_seconds, report

SHAPES = (1, 2, 10, 50)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seconds", type=float, default=3.0, help="per measurement (default 3)")
    p.add_argument("--rounds", type=int, default=2, help="repeat the whole set (default 2)")
    p.add_argument("--commit", type=int, default=400, help="readings per group commit (default 400)")


def _docs(seq0: int, n: int, per_patient: int, now: datetime) -> list[dict]:
    """A group commit's readings as the ingest builds them: n/per_patient patients, one device each."""
    out = []
    for i in range(n):
        p, seq = i // per_patient, seq0 + i
        out.append({"_id": f"dev-{p}:{seq}", "device_id": f"dev-{p}", "patient_id": f"pat-{p}", "seq": seq,
                    "ts": now + timedelta(milliseconds=seq), "received_at": now, "clock_suspect": False,
                    "source": "bench", "readings": {  # as models.vitals.normalise gives them
                        "heart_rate": {"value": 60.0 + seq % 40, "unit": "/min", "loinc": "8867-4"},
                        "spo2": {"value": 97.0, "unit": "%", "loinc": "59408-5"},
                        "temperature": {"value": 36.8, "unit": "Cel", "loinc": "8310-5"}}})
    return out


async def _store(client, name: str):
    from server.clock import Clock
    from server.iot.vitals_store import VitalsStore
    from server.storage.db import Database

    holder = Database(client=client, db=client[name])
    store = VitalsStore(holder, Clock())
    await holder.ensure_indexes()
    await store.ensure_retention(timedelta(days=30))  # the rows' TTL index, as the server has it
    return store


async def _timed(pid: int, seconds: float, write) -> dict:
    n, seq = 0, 0
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        n += await write(seq)
        seq += 1_000_000
    wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    return {"readings_per_s": round(n / wall), "db_us_per_reading": round(cpu / n * 1e6, 1)}


async def _writes(client, pid: int, args) -> list[dict]:
    rows = []
    for rnd in range(1, args.rounds + 1):
        coll = client[f"ceiling{rnd}"]["vitals"]
        await coll.create_indexes([IndexModel([("patient_id", 1), ("ts", 1)]),
                                   IndexModel("received_at", expireAfterSeconds=30 * 86400)])
        now = datetime.now(UTC)

        async def raw(seq, coll=coll, now=now):
            await coll.insert_many(_docs(seq, args.commit, 1, now), ordered=False)
            return args.commit
        ceiling = await _timed(pid, args.seconds, raw)
        rows.append({"round": rnd, "what": "ceiling (1 doc/reading, raw)", **ceiling, "x_ceiling": 1.0})
        for k in SHAPES:
            store = await _store(client, f"shape{rnd}_{k}")

            async def write(seq, store=store, k=k, now=now):
                dups = await store.store(_docs(seq, args.commit, k, now))
                assert not dups, "fresh readings reported as duplicates"
                return args.commit
            got = await _timed(pid, args.seconds, write)
            rows.append({"round": rnd, "what": f"store, {k} per patient per commit", **got,
                         "x_ceiling": round(got["readings_per_s"] / ceiling["readings_per_s"], 2)})
    return rows


async def _reads(client) -> list[dict]:
    """One patient's hour at 1 Hz, as rows (a live device) and as packs of 50 (a batching one)."""
    start = datetime(2026, 3, 2, 12, tzinfo=UTC)
    out = []
    for label, per in (("rows (live, 1 per commit)", 1), ("packs of 50 (batches)", 50)):
        store = await _store(client, f"reads_{per}")
        docs = [{**d, "ts": start + timedelta(seconds=i)} for i, d in enumerate(_docs(0, 3600, 3600, start))]
        for i in range(0, 3600, 400):
            chunk = docs[i:i + 400]
            if per == 1:  # rows: as many commits of one reading each, written in bulk here for speed
                await store.db["vitals"].insert_many(chunk, ordered=False)
            else:
                for j in range(0, len(chunk), per):
                    assert not await store.store(chunk[j:j + per])
        rng = {"$gte": start, "$lt": start + timedelta(hours=1)}
        field = "readings.heart_rate.value"
        probes = {
            "raw page (1 h, 3,600 points)": lambda s=store, r=rng, f=field: s.page("pat-0", r, f, None, 10_000),
            "1 min bins of the hour": lambda s=store, r=rng, f=field: s.binned("pat-0", r, f, 1),
            "one reading by time (FHIR read)": lambda s=store: s.find(
                "pat-0", {"$gte": start + timedelta(seconds=1800), "$lte": start + timedelta(seconds=1800)}),
        }
        for what, probe in probes.items():
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                await probe()
                times.append((time.perf_counter() - t0) * 1000)
            out.append({"stored as": label, "read": what, "ms_median_of_5": round(statistics.median(times), 1)})
    return out


async def _main(args) -> tuple[list[dict], list[dict]]:
    from server.storage.embedded_db import EmbeddedDB

    emb = EmbeddedDB(Path(tempfile.mkdtemp(prefix="bench-shapes-")) / "db", ttl_sweep_s=0)
    emb.start()
    client = AsyncMongoClient(emb.uri, tz_aware=True)
    try:
        return await _writes(client, emb.proc.pid, args), await _reads(client)
    finally:
        await client.close()
        emb.stop()


def run(args: argparse.Namespace) -> dict:
    writes, reads = asyncio.run(_main(args))
    best = {k: min(r["db_us_per_reading"] for r in writes if r["what"].startswith(f"store, {k} ")) for k in SHAPES}
    ceiling_us = min(r["db_us_per_reading"] for r in writes if r["what"].startswith("ceiling"))
    ratio = [r["x_ceiling"] for r in writes if r["what"].startswith("store, 50 ")]
    targets = [{"what": "durable writes of batches >= 2x the one-document-per-reading ceiling (store alone, "
                        "50 per patient per commit, worst round)",
                "target": ">= 2.0x", "measured": f"{min(ratio)}x", "met": min(ratio) >= 2.0}]
    notes = [f"database CPU µs per reading, best round: ceiling {ceiling_us}, "
             + ", ".join(f"{k} per patient {v}" for k, v in best.items()),
             "rows cost what the ceiling costs plus a look-up of the claims; packs replace a document and "
             "three index entries per reading by one `_id` claim and 1/k of a document"]
    out = report("shapes", writes, params=vars(args) | {"shapes": SHAPES}, notes=notes, targets=targets,
                 extra={"reads": reads})
    from bench.common import table
    print(table(reads))
    return out
