"""`python -m bench fhir`: one FHIR Observation page from a day of 1 Hz readings.

The real server process (embedded SecantusDB) holds `--sets` reading sets (heart rate + SpO2,
two Observations each) of one patient spread over the last 24 hours, written straight into
`vitals` as ingest stores them. A patient token then reads, over HTTP: the first page of
`_count` Observations (`GET /fhir/Observation`), the following pages through `next`, and one
Observation by id. For comparison, in the same run: reading the whole 24 h range from the
database in one query, which is what each request cost before the search walked time slices
(SecantusDB reads the whole range it is given, whatever the limit or sort).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import aiohttp

from bench.common import report
from bench.deployment import Deployment
from bench.procs import Workdir

TARGET_MS = 250.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sets", type=int, default=86_400, help="reading sets in the last 24 h (default 86,400: 1 Hz)")
    p.add_argument("--count", type=int, default=100, help="_count (default 100)")
    p.add_argument("--pages", type=int, default=10, help="pages followed through `next` (default 10)")


def run(args: argparse.Namespace) -> dict:
    with Workdir(keep=args.keep) as wd:
        dep = Deployment(wd)
        try:
            (pid,) = dep.users("fhirpat", "patient", 1)
            now = datetime.now(UTC)
            docs = [{"_id": f"bench-dev:{i}", "device_id": "bench-dev", "patient_id": pid, "seq": i,
                     "ts": now - timedelta(seconds=86_000 * i / args.sets), "received_at": now,
                     "clock_suspect": False,
                     "readings": {"heart_rate": {"value": 70, "unit": "/min", "loinc": "8867-4"},
                                  "spo2": {"value": 97, "unit": "%", "loinc": "59408-5"}}} for i in range(args.sets)]
            for i in range(0, len(docs), 5000):
                dep.db["vitals"].insert_many(docs[i:i + 5000], ordered=False)
            t = time.perf_counter()
            whole = len(list(dep.db["vitals"].find({"patient_id": pid, "ts": {"$gte": now - timedelta(days=1)}})))
            whole_ms = (time.perf_counter() - t) * 1000
            first, pages, read = asyncio.run(_measure(dep.urls[0], dep.token(pid, "patient"), args))
        finally:
            dep.close()
    rows = [{"what": f"first page ({args.count})", "ms": first},
            {"what": f"next pages, median of {len(pages)}", "ms": statistics.median(pages) if pages else None},
            {"what": "Observation by id", "ms": read},
            {"what": f"whole 24 h range in one query ({whole} sets)", "ms": whole_ms}]
    return report("fhir", rows, params=vars(args) | {"keep": None}, notes=[
        f"first page / whole range in the same run: {first / whole_ms:.2f}",
        "HTTP from this process to the server process; the machine is shared, figures are noisy"],
        targets=[{"what": "first FHIR Observation page from a day of 1 Hz readings", "target": f"<= {TARGET_MS} ms",
                  "measured": f"{first:.0f} ms", "met": first <= TARGET_MS}])


async def _measure(base: str, token: str, args) -> tuple[float, list[float], float]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async def timed(url: str) -> tuple[float, dict]:
            t = time.perf_counter()
            async with http.get(url) as r:
                body = await r.json(content_type=None)
                assert r.status == 200, body
            return (time.perf_counter() - t) * 1000, body

        first, body = await timed(f"{base}/fhir/Observation?_count={args.count}")
        obs_id = body["entry"][0]["resource"]["id"]
        pages = []
        for _ in range(args.pages):
            url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
            if url is None:
                break
            ms, body = await timed(url)
            pages.append(ms)
        read, _ = await timed(f"{base}/fhir/Observation/{obs_id}")
        return first, pages, read
