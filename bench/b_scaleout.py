"""`python -m bench scaleout`: one process vs two over Redis, ingest with live fan-out.

Every device's patient is watched by one dashboard; with two processes the device is on one
and its dashboard on the other, so every reading must cross processes. Rows: one process
without Redis; with python-socketio's stock Redis manager (every emit goes to Redis and to
every process, even for empty rooms); with our room-aware manager (server/realtime/sio_manager.py:
an emit leaves the process only towards processes that have members of the room); and two
processes with each manager. `--server python` (default) is the protocol layer without the
database (bench/reference/pyserver.py), where the manager is what limits; `--server fadjma`
is the real server with SecantusDB, which is bound by the database's commits instead.
"""

from __future__ import annotations

import argparse

from bench import scenarios
from bench.common import report
from bench.deployment import Deployment
from bench.procs import Workdir, py_protocol_server, redis_server

CASES = [("1 process, no redis", 1, None), ("1 process, stock redis manager", 1, "broadcast"),
         ("2 processes, stock redis manager", 2, "broadcast"), ("1 process, room-aware manager", 1, "rooms"),
         ("2 processes, room-aware manager", 2, "rooms")]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", default="python", choices=["python", "fadjma"])
    p.add_argument("--duration", type=float, default=8.0, help="seconds per case (default 8)")
    p.add_argument("--devices", type=int, default=100, help="devices, each watched by one dashboard (default 100)")
    p.add_argument("--inflight", type=int, default=2, help="unacknowledged events per device (default 2)")
    p.add_argument("--clients", type=int, default=2, help="device load-generator processes (default 2)")


def run(args: argparse.Namespace) -> dict:
    rows, notes = [], []
    for label, procs, manager in CASES:
        with Workdir(keep=args.keep) as wd:
            row, n = (_python if args.server == "python" else _fadjma)(wd, args, procs, manager)
        rows.append({"case": label, **row})
        notes += [f"{label}: {x}" for x in n]
    by = {r["case"]: r for r in rows}
    one, two = by[CASES[0][0]], by[CASES[4][0]]
    stock1, stock2 = by[CASES[1][0]], by[CASES[2][0]]
    ratio = two["events_per_s"] / max(one["events_per_s"], 1e-9)
    targets = [{"what": "two processes (room-aware manager) vs one process, ingest with live fan-out",
                "target": ">= 1.6x", "measured": f"{ratio:.2f}x ({two['events_per_s']:,.0f} vs "
                                                  f"{one['events_per_s']:,.0f} events/s)", "met": ratio >= 1.6}]
    notes.append(f"stock redis manager: 1 process at {stock1['events_per_s'] / max(one['events_per_s'], 1e-9):.2f}x "
                 f"of no redis, 2 processes at {stock2['events_per_s'] / max(one['events_per_s'], 1e-9):.2f}x")
    cols = ["case", "events_per_s", "delivered_per_s", "ack_p50_ms", "ack_p99_ms", "server_cpu_pct",
            "events_per_cpu_s", "redis_cpu_pct", "db_cpu_pct", "client_cpu_max_pct", "machine_cpu_pct", "errors"]
    params = {k: v for k, v in vars(args).items() if k != "module"}
    return report(f"scaleout-{args.server}", rows, params=params, notes=notes, columns=cols, targets=targets)


def _python(wd: Workdir, args, procs: int, manager: str | None):
    env = {}
    watch = {}
    if manager:
        redis = redis_server(wd).start()
        env = {"REDIS_URL": f"redis://127.0.0.1:{redis.port}/0", "REDIS_MANAGER": manager}
        watch["redis"] = redis.pid
    servers = [py_protocol_server(wd, f"python-{i}", env=env).start() for i in range(procs)]
    watch.update({s.name: s.pid for s in servers})
    row, notes = scenarios.ingest([s.url for s in servers], wd.secret, devices=args.devices, inflight=args.inflight,
                                  clients=args.clients, duration=args.duration, watch=watch, watchers_per_patient=1)
    return _server_cpu(row, watch), notes


def _fadjma(wd: Workdir, args, procs: int, manager: str | None):
    dep = Deployment(wd, processes=procs, redis=bool(manager), env={"REDIS_MANAGER": manager or "rooms"})
    try:
        patients = dep.users("pat", "patient", args.devices)
        doctors = dep.users("doc", "doctor", args.devices)
        for d, p in zip(doctors, patients, strict=True):
            dep.grant([d], p)
        devices = dep.provision(patients)
        auth = lambda i: ({"device_id": devices[i][0], "token": devices[i][1]}, patients[i])  # noqa: E731
        row, notes = scenarios.ingest(dep.urls, wd.secret, devices=args.devices, inflight=args.inflight,
                                      clients=args.clients, duration=args.duration, watch=dep.watch(),
                                      device_auth=auth, namespace="/devices", payload="device",
                                      watchers_per_patient=1, watcher_token=lambda i: dep.token(doctors[i], "doctor"),
                                      watch_event="vitals:new")
        return _server_cpu(row, dep.watch()), notes
    finally:
        dep.close()


def _server_cpu(row: dict, watch: dict) -> dict:
    """server_cpu_pct = the server processes only (Redis and the database in their own columns)."""
    servers = [k for k in watch if k not in ("redis", "db")]
    if len(watch) > 1:
        row["server_cpu_pct"] = round(sum(row.get(f"{k}_cpu_pct", 0) for k in servers), 1)
        if row["server_cpu_pct"]:
            row["events_per_cpu_s"] = round(row["events_per_s"] / (row["server_cpu_pct"] / 100), 1)
    return row
