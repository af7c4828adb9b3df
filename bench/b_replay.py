"""`python -m bench replay`: a client reconnects having missed 1,000 notifications.

The real system: the notifications are stored in the inbox (as the Notifier stores them:
per-user `seq`, counter document), then a socket connects with `auth: {token, last_seq: 0}`.
The figure is the time from opening the connection until all of them have arrived, checked
to be in strictly increasing `seq` order, and `notification:synced` has followed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

import aiohttp

from bench.common import percentiles, report
from bench.deployment import Deployment
from bench.eio import SioClient, connector
from bench.procs import Workdir


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--missed", type=int, default=1000, help="notifications missed (default 1000)")
    p.add_argument("--runs", type=int, default=5, help="reconnections measured (default 5)")


def run(args: argparse.Namespace) -> dict:
    with Workdir(keep=args.keep) as wd:
        dep = Deployment(wd)
        try:
            (user,) = dep.users("doc", "doctor", 1)
            now = datetime.now(UTC)
            dep.db["notifications"].insert_many([
                {"_id": f"n{i}", "user_id": user, "seq": i, "type": "bench", "title": {"en": f"#{i}", "fr": f"#{i}"},
                 "body": {"en": "missed while offline", "fr": "manquée hors ligne"}, "link": None, "data": {"i": i},
                 "urgency": "normal", "created_at": now, "read_at": None} for i in range(1, args.missed + 1)])
            dep.db["counters"].insert_one({"_id": f"inbox:{user}", "seq": args.missed, "unread": args.missed})
            times, problems = asyncio.run(_measure(dep.urls[0], dep.token(user, "doctor"), args))
        finally:
            dep.close()
    pct = percentiles(times, (50, 99))
    rows = [{"missed": args.missed, "runs": len(times), "p50_ms": pct["p50"], "max_ms": round(max(times), 1),
             "per_item_us": round(pct["p50"] * 1000 / args.missed, 1), "in_order": not problems}]
    targets = [{"what": f"replay of {args.missed} missed notifications (slowest of {len(times)} runs)",
                "target": "<= 250 ms", "measured": f"{max(times):.0f} ms", "met": max(times) <= 250 and not problems}]
    params = {k: v for k, v in vars(args).items() if k != "module"}
    return report("replay", rows, params=params, notes=problems, targets=targets)


async def _measure(url: str, token: str, args) -> tuple[list[float], list[str]]:
    times, problems = [], []
    async with aiohttp.ClientSession(connector=connector()) as session:
        for run_no in range(args.runs):
            seqs: list[int] = []
            done = asyncio.get_running_loop().create_future()

            def on_event(name, data, _t, seqs=seqs, done=done) -> None:
                if name == "notification:new":
                    seqs.append(data["seq"])
                elif name == "notification:synced" and not done.done():
                    done.set_result(time.perf_counter())

            client = SioClient(session, url, auth={"token": token, "last_seq": 0}, on_event=on_event)
            t0 = time.perf_counter()
            await client.connect(timeout=30)
            t1 = await asyncio.wait_for(done, 30)
            times.append((t1 - t0) * 1000)
            if seqs != list(range(1, args.missed + 1)):
                problems.append(f"run {run_no}: got {len(seqs)} items, in order: {seqs == sorted(seqs)}")
            await client.close()
    return times, problems
