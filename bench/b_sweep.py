"""`python -m bench sweep`: Socket.IO ack latency against offered load, and the chart that shows the knee.

The real system (`python -m server`, SecantusDB in its own process) with `--devices` provisioned
devices on `/devices`. For each offered rate the devices send open-loop (bench.paced: one
`vitals:send` every devices/rate seconds each, at random phases, without waiting for acks),
and the acks' p50/p99 are taken; an ack comes after the durable group commit. Below the knee the
latency is flat and the acked rate equals the offered one; past it the acked rate stops
rising and the latency climbs to the timeout. The chart goes to bench/results/sweep.png
(`--chart PATH` to put it elsewhere, e.g. docs/bench/sweep.png for the README).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.common import RESULTS, percentiles, report, saturation_notes, stored_readings
from bench.deployment import Deployment
from bench.paced import paced_devices
from bench.procs import Workdir
from bench.scenarios import _chunks
from bench.workers import run_workers


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rates", default="250,500,1000,1500,2000,2500,3000,4000",
                   help="offered messages/s, one level each (default 250,...,4000)")
    p.add_argument("--devices", type=int, default=200, help="devices sharing the offered rate (default 200)")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per rate (default 8)")
    p.add_argument("--clients", type=int, default=2, help="load-generator processes (default 2)")
    p.add_argument("--timeout", type=float, default=10.0, help="an ack later than this counts as lost (s)")
    p.add_argument("--chart", default=str(RESULTS / "sweep.png"), help="where to write the PNG chart")


def run(args: argparse.Namespace) -> dict:
    rates = [float(x) for x in args.rates.split(",")]
    rows, notes = [], []
    with Workdir(keep=args.keep) as wd:
        dep = Deployment(wd)
        try:
            patients = dep.users("pat", "patient", args.devices)
            devices = dep.provision(patients)
            specs = [{"auth": {"device_id": d, "token": t}, "patient_id": p}
                     for (d, t), p in zip(devices, patients, strict=True)]
            for rate in rates:
                interval = args.devices / rate
                before = stored_readings(dep.db)
                configs = [{"url": dep.urls[0], "devices": chunk, "namespace": "/devices", "payload": "device",
                            "interval_s": interval, "timeout_s": args.timeout,
                            "seq_base": int(time.time() * 1000) * 1000}  # never repeat a (device, seq)
                           for chunk in _chunks(specs, args.clients)]
                results, cpu, _ = run_workers(paced_devices, configs, duration=args.duration, watch=dep.watch())
                stored = stored_readings(dep.db) - before
                rows.append(_row(rate, args, results, cpu, stored))
                notes += [f"{rate:.0f}/s: {x}" for x in saturation_notes([r["client_cpu_pct"] for r in results],
                                                                          cpu["machine_cpu_pct"])]
                drained = _drain(dep)  # a backlog left by this level would be counted in the next one
                if drained:
                    notes.append(f"{rate:.0f}/s: {drained:,} more readings stored after the level (its backlog)")
                if rows[-1]["acked_per_s"] < 0.5 * rate:
                    notes.append(f"stopped after {rate:.0f}/s: less than half the offered load was acknowledged "
                                 "(past the knee, higher rates only lengthen the backlog)")
                    break
        finally:
            dep.close()
    knee = _knee(rows)
    half = _at_half_max(rows)
    targets = []
    if half:
        targets.append({"what": f"ack p99 at half the maximum acked rate (offered {half['offered_per_s']:,.0f}/s)",
                        "target": "<= 50 ms", "measured": f"{half['ack_p99_ms']} ms",
                        "met": (half["ack_p99_ms"] or 1e9) <= 50})
    notes.append(f"knee: the highest offered rate acked within 5 % with p99 <= 250 ms: "
                 f"{knee['offered_per_s']:,.0f}/s" if knee else "knee: none of the rates was kept up with")
    chart = _chart(rows, Path(args.chart), knee)
    notes.append(f"chart written to {chart}")
    cols = ["offered_per_s", "sent_per_s", "acked_per_s", "stored_per_s", "ack_p50_ms", "ack_p99_ms", "lost",
            "server_cpu_pct", "db_cpu_pct", "server_rss_mib", "client_cpu_max_pct", "machine_cpu_pct"]
    params = {k: v for k, v in vars(args).items() if k != "module"}
    return report("sweep", rows, params=params, notes=notes, columns=cols, targets=targets)


def _drain(dep: Deployment, quiet_s: float = 2.0, limit_s: float = 90.0) -> int:
    """Wait until the stored count has not moved for `quiet_s`; returns how many arrived meanwhile."""
    first = last = stored_readings(dep.db)
    t0 = changed = time.monotonic()
    while time.monotonic() - changed < quiet_s and time.monotonic() - t0 < limit_s:
        time.sleep(0.25)
        now = stored_readings(dep.db)
        if now != last:
            last, changed = now, time.monotonic()
    return last - first


def _row(rate: float, args, results: list[dict], cpu: dict, stored: int) -> dict:
    duration, lost = args.duration, sum(r["lost"] for r in results)
    # an ack that never came counts at the timeout: percentiles of the survivors alone would fall past the knee
    lat = percentiles([x for r in results for x in r["latency_ms"]] + [args.timeout * 1000] * lost, (50, 99))
    sent, acked = sum(r["sent"] for r in results), sum(r["acked"] for r in results)
    return {"offered_per_s": rate, "sent_per_s": round(sent / duration, 1), "acked_per_s": round(acked / duration, 1),
            "stored_per_s": round(stored / duration, 1), "ack_p50_ms": lat["p50"], "ack_p99_ms": lat["p99"],
            "lost": sum(r["lost"] + r["errors"] for r in results), "server_cpu_pct": cpu["server-0_cpu_pct"],
            "db_cpu_pct": cpu["db_cpu_pct"], "server_rss_mib": cpu["server-0_rss_mib"],
            "client_cpu_max_pct": max(r["client_cpu_pct"] for r in results), "machine_cpu_pct": cpu["machine_cpu_pct"]}


def _kept_up(r: dict) -> bool:
    return r["acked_per_s"] >= 0.95 * r["offered_per_s"] and (r["ack_p99_ms"] or 1e9) <= 250 and not r["lost"]


def _knee(rows: list[dict]) -> dict | None:
    kept = [r for r in rows if _kept_up(r)]
    return max(kept, key=lambda r: r["offered_per_s"]) if kept else None


def _at_half_max(rows: list[dict]) -> dict | None:
    """The level whose offered rate is nearest half the highest acked rate of the sweep."""
    if not rows:
        return None
    half = max(r["acked_per_s"] for r in rows) / 2
    return min(rows, key=lambda r: abs(r["offered_per_s"] - half))


def _chart(rows: list[dict], path: Path, knee: dict | None) -> Path:
    import matplotlib
    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    x = [r["offered_per_s"] for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    ax.plot(x, [r["ack_p50_ms"] for r in rows], "o-", label="ack p50")
    ax.plot(x, [r["ack_p99_ms"] for r in rows], "s-", label="ack p99")
    ax.axhline(50, color="grey", ls=":", lw=1, label="target p99 50 ms")
    if knee:
        ax.axvline(knee["offered_per_s"], color="tab:red", ls="--", lw=1, label=f"knee {knee['offered_per_s']:,.0f}/s")
    ax.set_yscale("log")
    ax.set_xlabel("offered vitals:send per second (open loop)")
    ax.set_ylabel("ack latency, ms (log)")
    ax2 = ax.twinx()
    ax2.plot(x, [r["acked_per_s"] for r in rows], "^--", color="tab:green", alpha=0.6, label="acked/s")
    ax2.set_ylabel("acked per second")
    lines = ax.get_legend_handles_labels()
    more = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    ax.set_title("Durable Socket.IO ingest (/devices): ack latency against offered load", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
