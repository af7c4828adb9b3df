"""`python -m bench connections`: hold 1,000 / 5,000 / 10,000 authenticated idle sockets.

For each level a fresh `python -m server` (embedded database) is started; load-generator
processes open that many authenticated WebSocket connections (the real handshake: JWT check
and revocation look-up, user and role rooms), hold them idle, and the server's RSS growth
divided by the connection count is the memory per connection. The connect rate is the
number of sockets over the time from the first connect to the last.
"""

from __future__ import annotations

import argparse
import time

from bench.common import mint_token, report, saturation_notes
from bench.loads import holders
from bench.procs import Workdir, fadjma_server, node_reference, py_protocol_server
from bench.workers import run_workers, split


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--levels", default="1000,5000,10000", help="connection counts (default 1000,5000,10000)")
    p.add_argument("--clients", type=int, default=4, help="load-generator processes (default 4)")
    p.add_argument("--hold", type=float, default=8.0, help="seconds to hold after go (default 8; includes connecting)")
    p.add_argument("--server", default="fadjma", choices=["fadjma", "python", "node"],
                   help="fadjma = python -m server with the embedded DB (default); python = protocol layer "
                        "without DB; node = the Node reference")
    p.add_argument("--env", action="append", default=[], help="extra KEY=VALUE for the server")


def run(args: argparse.Namespace) -> dict:
    rows, notes = [], []
    env = dict(kv.split("=", 1) for kv in args.env)
    levels = [int(x) for x in args.levels.split(",")]
    with Workdir(keep=args.keep) as wd:
        for n in levels:
            start = {"fadjma": fadjma_server, "python": py_protocol_server, "node": node_reference}[args.server]
            srv = start(wd, f"{args.server}-{n}", env=env).start()
            time.sleep(1.0)  # let start-up settle (indexes, first GC) before the baseline
            users = max(1, n // 10)  # ten sockets per user, as tabs and devices would be
            auths = [{"token": mint_token(wd.secret, f"user-{i % users}", "doctor")} for i in range(n)]
            configs, i = [], 0
            for count in split(n, args.clients):
                configs.append({"url": srv.url, "auths": auths[i:i + count]})
                i += count
            results, cpu, _ = run_workers(holders, configs, duration=args.hold, watch={"server": srv.pid})
            connected = sum(r["connected"] for r in results)
            alive = sum(r["alive"] for r in results)
            connect_s = max(r["connect_s"] for r in results)
            grown = (cpu["server_rss_mib"] - cpu["server_rss_start_mib"]) * 1024
            rows.append({"sockets": n, "connected": connected, "alive_after_hold": alive,
                         "failed": sum(r["failed"] for r in results),
                         "connect_per_s": round(connected / connect_s, 1) if connect_s else None,
                         "rss_before_mib": cpu["server_rss_start_mib"], "rss_after_mib": cpu["server_rss_mib"],
                         "kib_per_conn": round(grown / max(connected, 1), 1),
                         "server_cpu_pct": cpu["server_cpu_pct"],
                         "client_cpu_max_pct": max(r["connect_client_cpu_pct"] for r in results)})
            notes += [f"{n}: {x}" for x in saturation_notes([r["connect_client_cpu_pct"] for r in results],
                                                            cpu["machine_cpu_pct"])]
            srv.stop()
    top = rows[-1]
    targets = [{"what": f"server memory per idle authenticated connection at {top['sockets']:,}",
                "target": "<= 15 KiB", "measured": f"{top['kib_per_conn']} KiB", "met": top["kib_per_conn"] <= 15}]
    params = {k: v for k, v in vars(args).items() if k != "module"}
    return report("connections", rows, params=params, notes=notes, targets=targets)
