"""`python -m bench fleet`: a realistic fleet, 1,000 to 10,000 devices each sending every 5 s, 200 dashboards.

The real system (`python -m server`, SecantusDB in its own process). `--levels` devices are
provisioned through the REST API and connect to `/devices`; each sends one reading set
(3 data points) every `--interval` seconds at its own phase, open loop (bench.paced), so the
offered rate is devices / interval (2,000 msg/s at 10,000). 200 doctors with grants keep a
dashboard open, each watching `--watch` patients (`vitals:watch`, live `vitals:new`). Per
level: server RSS and CPU, database CPU, ack p50/p99, dashboard delivery p99 (device send to
receive), and growth against the first level. Levels run in ascending order on one server,
so the RSS column is what a server that has held that many devices uses.
"""

from __future__ import annotations

import argparse
import time

from bench import loads
from bench.common import percentiles, report, saturation_notes
from bench.deployment import Deployment
from bench.paced import paced_devices
from bench.procs import Workdir
from bench.profile import Profiler, format_summary
from bench.scenarios import _chunks
from bench.workers import run_workers_mixed


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--levels", default="1000,5000,10000", help="devices per level (default 1000,5000,10000)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between a device's messages (default 5)")
    p.add_argument("--dashboards", type=int, default=200, help="dashboards watching (default 200)")
    p.add_argument("--watch", type=int, default=10, help="patients each dashboard watches (default 10)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of sending per level (default 20)")
    p.add_argument("--clients", type=int, default=4, help="device load-generator processes (default 4)")
    p.add_argument("--profile", action="store_true", help="py-spy the server during the largest level")


def run(args: argparse.Namespace) -> dict:
    levels = sorted(int(x) for x in args.levels.split(","))
    rows, notes, profiles = [], [], {}
    with Workdir(keep=args.keep) as wd:
        dep = Deployment(wd)
        try:
            patients = dep.users("pat", "patient", max(levels))
            doctors = dep.users("doc", "doctor", args.dashboards)
            watched = {d: [patients[(i * args.watch + k) % levels[0]] for k in range(args.watch)]
                       for i, d in enumerate(doctors)}  # every watched patient sends at every level
            by_patient: dict[str, list[str]] = {}
            for d, pids in watched.items():
                for pid in pids:
                    by_patient.setdefault(pid, []).append(d)
            for pid, docs in by_patient.items():
                dep.grant(docs, pid)
            t0 = time.perf_counter()
            devices = dep.provision(patients, interval_s=max(1, int(args.interval)))
            notes.append(f"provisioned {len(devices):,} devices in {time.perf_counter() - t0:.0f} s")
            specs = [{"auth": {"device_id": d, "token": t}, "patient_id": p}
                     for (d, t), p in zip(devices, patients, strict=True)]
            dashboards = [{"auth": {"token": dep.token(d, "doctor")}, "patient_ids": pids}
                          for d, pids in watched.items()]
            watch_pids = dep.watch()
            for n in levels:
                dev_cfgs = [{"url": dep.urls[0], "devices": chunk, "namespace": "/devices", "payload": "device",
                             "interval_s": args.interval, "timeout_s": 15.0,
                             "seq_base": int(time.time() * 1000) * 1000}
                            for chunk in _chunks(specs[:n], args.clients)]
                w_cfg = {"url": dep.urls[0], "role": "watchers", "event": "vitals:new", "watchers": dashboards,
                         "grace": 2.0}
                jobs = [(paced_devices, c) for c in dev_cfgs] + [(loads.watchers, w_cfg)]
                prof = None
                if args.profile and n == levels[-1]:
                    prof = Profiler(dep.servers[0].pid, args.duration, wd.path / "fleet.pyspy.txt")
                results, cpu, infos = run_workers_mixed(jobs, duration=args.duration, watch=watch_pids,
                                                        on_go=prof.start if prof else None,
                                                        ready_timeout=1200)  # 10k handshakes on a busy machine
                if prof:
                    prof.wait()
                    profiles[str(n)] = prof.summary()
                    print(format_summary(f"server during the fleet of {n:,}", profiles[str(n)]))
                rows.append(_row(n, args, results, cpu, infos))
                dev = [r for r in results if "sent" in r]
                first = next((r["first_error"] for r in dev if r.get("first_error")), None)
                lost = sum(r["lost"] for r in dev)
                if first or lost:
                    notes.append(f"{n:,}: {lost:,} acks missing after 15 s, "
                                 f"{sum(r['errors'] for r in dev):,} refused (first: {first})")
                notes += [f"{n:,}: {x}" for x in saturation_notes([r["client_cpu_pct"] for r in results],
                                                                   cpu["machine_cpu_pct"])]
        finally:
            dep.close()
    first, top = rows[0], rows[-1]
    for r in rows:
        r["rss_growth_x"] = round(r["server_rss_mib"] / first["server_rss_mib"], 2)
        r["cpu_growth_x"] = round(r["server_cpu_pct"] / max(first["server_cpu_pct"], 0.1), 2)
    targets = [{"what": f"fleet of {top['devices']:,} devices every {args.interval:g} s, ack p99",
                "target": "<= 50 ms", "measured": f"{top['ack_p99_ms']} ms", "met": (top["ack_p99_ms"] or 1e9) <= 50},
               {"what": f"fleet of {top['devices']:,}: every offered message acknowledged",
                "target": ">= 99.9 %", "measured": f"{100 * top['acked'] / max(top['sent'], 1):.2f} %",
                "met": top["acked"] >= 0.999 * top["sent"]}]
    cols = ["devices", "offered_per_s", "acked_per_s", "ack_p50_ms", "ack_p99_ms", "lost", "dash_p99_ms",
            "server_cpu_pct", "db_cpu_pct", "server_rss_mib", "rss_growth_x", "cpu_growth_x", "client_cpu_max_pct",
            "machine_cpu_pct"]
    params = {k: v for k, v in vars(args).items() if k != "module"}
    return report("fleet", rows, params=params, notes=notes, columns=cols, targets=targets,
                  extra={"profiles": profiles})


def _row(n: int, args, results: list[dict], cpu: dict, infos: list[dict]) -> dict:
    dev = [r for r in results if "sent" in r]
    lat = percentiles([x for r in dev for x in r["latency_ms"]], (50, 99))
    sent, acked = sum(r["sent"] for r in dev), sum(r["acked"] for r in dev)
    received = [v for r in results if "received" in r for v in r["received"].values()]
    dash = percentiles([(t_last - t_sent) * 1000 for _, t_last, t_sent in received], (50, 99))
    return {"devices": n, "offered_per_s": round(n / args.interval, 1), "sent": sent, "acked": acked,
            "acked_per_s": round(acked / args.duration, 1), "ack_p50_ms": lat["p50"], "ack_p99_ms": lat["p99"],
            "lost": sum(r["lost"] + r["errors"] for r in dev), "dash_messages": len(received),
            "dash_p50_ms": dash["p50"], "dash_p99_ms": dash["p99"],
            "server_cpu_pct": cpu["server-0_cpu_pct"], "db_cpu_pct": cpu["db_cpu_pct"],
            "server_rss_mib": cpu["server-0_rss_mib"], "db_rss_mib": cpu["db_rss_mib"],
            "device_connect_s": round(max(i.get("connect_s", 0) for i in infos), 1),
            "client_cpu_max_pct": max(r["client_cpu_pct"] for r in results), "machine_cpu_pct": cpu["machine_cpu_pct"]}
