"""What every benchmark shares: the machine, processes to start and watch, tokens, the report.

Servers run as separate processes (`python -m server` with the embedded database on a free
port and a temporary DATA_DIR; the Node reference; redis-server). CPU and memory are read
from /proc of their pids, so the figures are the server's, not the load generator's.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def machine() -> dict:
    """Cores, memory and CPU model of this machine, plus how busy it was when we started."""
    model = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1), "cpu_model": model,
            "python": platform.python_version(), "kernel": platform.release(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}


def raise_fd_limit(want: int = 65536) -> int:
    """Raise this process's open-file limit as far as the hard limit allows; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(want, hard) if hard != resource.RLIM_INFINITY else want
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


from tests.support.processes import children, free_port, mint_token  # noqa: E402, F401  (re-exported)


# -- /proc readings ---------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except OSError:
        return 0


def machine_busy() -> tuple[float, float]:
    """(busy jiffies, total jiffies) of all CPUs, from /proc/stat."""
    with open("/proc/stat") as fh:
        vals = [int(x) for x in fh.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, sum(vals)


@dataclass
class CpuWindow:
    """CPU used by named pids and by the whole machine between start() and stop()."""

    pids: dict[str, int]
    _t0: float = 0.0
    _cpu0: dict[str, float] = field(default_factory=dict)
    _m0: tuple[float, float] = (0.0, 0.0)
    result: dict = field(default_factory=dict)

    def start(self) -> CpuWindow:
        self._t0 = time.perf_counter()
        self._cpu0 = {k: cpu_seconds(p) for k, p in self.pids.items()}
        self.result = {f"{k}_rss_start_mib": round(rss_bytes(p) / 2**20, 1) for k, p in self.pids.items()}
        self._m0 = machine_busy()
        return self

    def stop(self) -> dict:
        wall = time.perf_counter() - self._t0
        busy, total = machine_busy()
        self.result |= {"wall_s": round(wall, 3),
                        "machine_cpu_pct": round(100 * (busy - self._m0[0]) / max(total - self._m0[1], 1)
                                                 * (os.cpu_count() or 1), 1)}
        for k, p in self.pids.items():
            self.result[f"{k}_cpu_pct"] = round(100 * (cpu_seconds(p) - self._cpu0[k]) / wall, 1)
            self.result[f"{k}_rss_mib"] = round(rss_bytes(p) / 2**20, 1)
        return self.result


# -- what the server stored ---------------------------------------------------------------
# Where stored readings live (server.iot): one document per reading in `vitals`; a reading stored
# packed with others (several for one patient in one commit) has one `_id`-only claim in `vitals_seen`.
STORED_IN = ("vitals", "vitals_seen")


def stored_readings(db) -> int:
    """Readings stored so far in `db` (a pymongo Database): documents in `vitals` + claims in
    `vitals_seen` (a collection that does not exist counts 0). estimated_document_count reads the
    collection's count without a scan; on SecantusDB 0.7.0b3 it equalled count_documents({}) after
    inserts, duplicate-key refusals, deletes, a committed and an aborted transaction (checked
    2026-11-28). On a real MongoDB it can drift after an unclean shutdown."""
    return sum(db[name].estimated_document_count() for name in STORED_IN)


# -- statistics and the report ----------------------------------------------------------
def percentiles(values: list[float], ps=(50, 95, 99)) -> dict[str, float | None]:
    if not values:
        return {f"p{p}": None for p in ps}
    s = sorted(values)
    return {f"p{p}": round(s[min(len(s) - 1, int(len(s) * p / 100))], 3) for p in ps}


def saturation_notes(worker_cpu_pct: list[float], machine_cpu_pct: float, cores: int | None = None) -> list[str]:
    """Say plainly when the load generator, or the machine, was the limit."""
    cores = cores or os.cpu_count() or 1
    notes = []
    hot = [c for c in worker_cpu_pct if c >= 90]
    if hot:
        notes.append(f"CLIENT SATURATED: {len(hot)} load-generator process(es) at >= 90% of a core "
                     f"({', '.join(f'{c:.0f}%' for c in hot)}); the figure is the client's limit, not the server's")
    if machine_cpu_pct >= 95 * cores:
        notes.append(f"MACHINE SATURATED: all {cores} cores busy ({machine_cpu_pct:.0f}%); server and clients "
                     "compete for CPU, so per-CPU-second figures are the fairer comparison")
    return notes


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return "(no rows)"
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.3g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def report(name: str, rows: list[dict], *, params: dict, notes: list[str], columns: list[str] | None = None,
           targets: list[dict] | None = None, extra: dict | None = None) -> dict:
    """Print the machine, one table and the notes; write bench/results/<name>.json."""
    info = machine()
    out = {"benchmark": name, "machine": info, "params": params, "rows": rows, "notes": notes,
           "targets": targets or [], "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **(extra or {})}
    print(f"\n== bench {name} ==  {info['cores']} cores, {info['memory_gib']} GiB, {info['cpu_model']}, "
          f"Python {info['python']}, load avg at start {info['loadavg_at_start']}")
    print(f"params: {json.dumps(params, default=str)}")
    print(table(rows, columns))
    for t in targets or []:
        print(f"target: {t['what']}: {t['target']}  measured: {t['measured']}  -> {'MET' if t['met'] else 'MISSED'}")
    for n in notes:
        print(f"note: {n}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(out, indent=2, default=str))
    print(f"written {path.relative_to(ROOT)}")
    return out
