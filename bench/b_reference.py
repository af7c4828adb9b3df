"""`python -m bench reference`: our protocol layer against the Node socket.io reference.

Same run, same load, same machine: acknowledged `vitals:send` events (ingest) and one
patient watched by many dashboards (fan-out), first against bench/reference/server.js
(socket.io 4.8, installed with `npm ci`), then against bench/reference/pyserver.py (our
socket stack without the database) in one process, then in two processes sharing the
port (SO_REUSEPORT) so the server can use both cores. Prints the ratios to Node.
"""

from __future__ import annotations

import argparse

from bench import scenarios
from bench.common import report
from bench.procs import Workdir, node_reference, py_protocol_server, redis_server
from bench.profile import Profiler, format_summary


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--duration", type=float, default=8.0, help="seconds per ingest measurement (default 8)")
    p.add_argument("--devices", type=int, default=100, help="device sockets (default 100)")
    p.add_argument("--inflight", type=int, default=4, help="unacknowledged events per device (default 4)")
    p.add_argument("--clients", type=int, default=2, help="load-generator processes (default 2)")
    p.add_argument("--watchers", type=int, default=1000, help="dashboards on one patient for fan-out (default 1000)")
    p.add_argument("--fanout-duration", type=float, default=5.0, help="seconds of fan-out (default 5)")
    p.add_argument("--servers", default="node,python,python-2proc",
                   help="which servers, comma-separated (node, python, python-2proc)")
    p.add_argument("--levers", action="store_true",
                   help="instead: the Python server with each lever added one at a time (no Node)")
    p.add_argument("--profile", action="store_true",
                   help="py-spy the (first) Python server during ingest and print where its time goes")
    p.add_argument("--env", action="append", default=[],
                   help="extra KEY=VALUE for the Python server (levers, e.g. BENCH_UVLOOP=0)")


def run(args: argparse.Namespace) -> dict:
    rows, notes, profiles = [], [], {}
    extra_env = dict(kv.split("=", 1) for kv in args.env)
    runs = LEVERS if args.levers else [(k, {}) for k in args.servers.split(",")]
    with Workdir(keep=args.keep) as wd:
        for kind, lever_env in runs:
            procs, urls = _start(wd, kind, {**lever_env, **extra_env})
            watch = {p.name: p.pid for p in procs}
            prof = None
            if args.profile and kind.startswith("python"):
                prof = Profiler(procs[0].pid, args.duration, wd.path / f"{kind}.pyspy.txt")
            row, n = scenarios.ingest(urls, wd.secret, devices=args.devices, inflight=args.inflight,
                                      clients=args.clients, duration=args.duration, watch=watch, profile=prof)
            if prof:
                profiles[kind] = prof.summary()
                print(format_summary(f"{kind} ingest", profiles[kind]))
            rows.append({"server": kind, "load": "ingest", **row})
            notes += [f"{kind} ingest: {x}" for x in n]
            if args.watchers:
                row, n = scenarios.fanout(urls[0], wd.secret, watchers=args.watchers, clients=args.clients,
                                          duration=args.fanout_duration, watch=watch, watch_urls=urls)
                rows.append({"server": kind, "load": f"fanout x{args.watchers}", **row})
                notes += [f"{kind} fanout: {x}" for x in n]
            for p in procs:
                p.stop()
    targets = _targets(rows)
    cols = ["server", "load", "events_per_s", "ack_p50_ms", "ack_p99_ms", "watchers", "messages", "last_p50_ms",
            "last_p99_ms", "deliveries_per_s", "server_cpu_pct", "events_per_cpu_s", "server_rss_mib",
            "client_cpu_max_pct", "machine_cpu_pct", "errors"]
    params = {k: v for k, v in vars(args).items() if k != "module"}
    return report("reference", rows, params=params, notes=notes, columns=cols, targets=targets,
                  extra={"profiles": profiles})


# Each step adds one lever to the previous one (BENCH_* switch a lever off in pyserver).
LEVERS = [
    ("python (asyncio, json, stock emit)", {"BENCH_UVLOOP": "0", "BENCH_SIO_JSON": "std", "BENCH_MANAGER": "stock",
                                            "BENCH_FASTPATH": "0"}),
    ("python +uvloop", {"BENCH_SIO_JSON": "std", "BENCH_MANAGER": "stock", "BENCH_FASTPATH": "0"}),
    ("python +uvloop +orjson", {"BENCH_MANAGER": "stock", "BENCH_FASTPATH": "0"}),
    ("python +uvloop +orjson +fast emit", {"BENCH_FASTPATH": "0"}),
    ("python +uvloop +orjson +fast emit +direct frames", {}),
]


def _start(wd: Workdir, kind: str, extra_env: dict) -> tuple[list, list[str]]:
    if kind == "node":
        p = node_reference(wd).start()
        return [p], [p.url]
    if kind.startswith("python") and kind != "python-2proc":
        p = py_protocol_server(wd, env=extra_env).start()
        return [p], [p.url]
    if kind == "python-2proc":
        # two processes, one port (SO_REUSEPORT); rooms span both through Redis
        redis = redis_server(wd, f"redis-{len(wd.procs)}").start()
        env = {"REUSE_PORT": "1", "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0", **extra_env}
        a = py_protocol_server(wd, "python-a", env=env).start()
        b = py_protocol_server(wd, "python-b", env=env, port=a.port).start()
        return [a, b, redis], [a.url]
    raise SystemExit(f"unknown server kind {kind!r}")


def _targets(rows: list[dict]) -> list[dict]:
    by = {(r["server"], r["load"]): r for r in rows}
    node, py, py2 = by.get(("node", "ingest")), by.get(("python", "ingest")), by.get(("python-2proc", "ingest"))
    out = []
    if node and py and node.get("events_per_cpu_s") and py.get("events_per_cpu_s"):
        ratio = py["events_per_cpu_s"] / node["events_per_cpu_s"]
        out.append({"what": "protocol layer events per server CPU-second vs Node (1 process)", "target": ">= 0.5x",
                    "measured": f"{ratio:.2f}x ({py['events_per_cpu_s']:,.0f} vs {node['events_per_cpu_s']:,.0f})",
                    "met": ratio >= 0.5})
    if node and py2:
        ratio = py2["events_per_s"] / node["events_per_s"]
        out.append({"what": "protocol layer events/s, Python on both cores vs Node", "target": ">= 1.0x",
                    "measured": f"{ratio:.2f}x ({py2['events_per_s']:,.0f} vs {node['events_per_s']:,.0f}/s)",
                    "met": ratio >= 1.0})
    return out
