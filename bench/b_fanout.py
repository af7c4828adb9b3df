"""`python -m bench fanout`: one patient watched by 1, 100, 1,000 and 5,000 dashboards.

The real system: a provisioned device sends `vitals:send` on `/devices` every `--interval`
seconds; doctors with a vitals grant connect, `vitals:watch` the patient and receive
`vitals:new` after the durable write. The figure is, per message, the time from the
device's send (its `ts`) to the moment the *last* dashboard received it (p50/p99 over the
messages that reached every dashboard). Dashboards are spread over load-generator processes.
"""

from __future__ import annotations

import argparse

from bench import scenarios
from bench.common import report
from bench.deployment import Deployment
from bench.procs import Workdir
from bench.profile import Profiler, format_summary


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--levels", default="1,100,1000,5000", help="dashboards per level (default 1,100,1000,5000)")
    p.add_argument("--duration", type=float, default=8.0, help="seconds of sending per level (default 8)")
    p.add_argument("--interval", type=float, default=0.1, help="seconds between device messages (default 0.1)")
    p.add_argument("--clients", type=int, default=4, help="load-generator processes for dashboards (default 4)")
    p.add_argument("--profile", action="store_true", help="py-spy the server during the largest level")


def run(args: argparse.Namespace) -> dict:
    levels = [int(x) for x in args.levels.split(",")]
    rows, notes, profiles = [], [], {}
    with Workdir(keep=args.keep) as wd:
        dep = Deployment(wd)
        try:
            (patient,) = dep.users("pat", "patient", 1)
            doctors = dep.users("doc", "doctor", max(levels))
            dep.grant(doctors, patient)
            (device,) = dep.provision([patient], interval_s=1)
            for w in levels:
                prof = None
                if args.profile and w == max(levels):
                    prof = Profiler(dep.servers[0].pid, args.duration, wd.path / "fanout.pyspy.txt")
                row, n = scenarios.fanout(
                    dep.urls[0], wd.secret, watchers=w, clients=min(args.clients, w), duration=args.duration,
                    watch=dep.watch(), device_auth=lambda i: ({"device_id": device[0], "token": device[1]}, patient),
                    watcher_auth=lambda i: {"token": dep.token(doctors[i], "doctor")}, namespace="/devices",
                    payload="device", event="vitals:new", interval_s=args.interval, profile=prof)
                if prof:
                    profiles[str(w)] = prof.summary()
                    print(format_summary(f"server during fan-out to {w}", profiles[str(w)]))
                rows.append(row)
                notes += [f"{w} dashboards: {x}" for x in n]
        finally:
            dep.close()
    k = next((r for r in rows if r["watchers"] == 1000), None)
    targets = []
    if k:
        targets.append({"what": "fan-out to 1,000 watchers, device send to last receive (p99)", "target": "<= 50 ms",
                        "measured": f"p50 {k['last_p50_ms']} ms, p99 {k['last_p99_ms']} ms",
                        "met": (k["last_p99_ms"] or 1e9) <= 50})
    cols = ["watchers", "messages", "complete", "last_p50_ms", "last_p99_ms", "deliveries_per_s", "server-0_cpu_pct",
            "db_cpu_pct", "server_rss_mib", "client_cpu_max_pct", "machine_cpu_pct"]
    params = {k: v for k, v in vars(args).items() if k != "module"}
    return report("fanout", rows, params=params, notes=notes, columns=cols, targets=targets,
                  extra={"profiles": profiles})
