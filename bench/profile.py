"""Sampling profiles of a server process during a benchmark window (py-spy, pinned in requirements-dev).

`Profiler(pid, seconds, path).start()` runs `py-spy record --format raw` (collapsed stacks)
beside the load; `summary()` turns the stacks into the functions with the most samples,
inclusive and self, which is what a report quotes to explain a missed target.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
from pathlib import Path


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiler:
    def __init__(self, pid: int, seconds: float, path: Path, rate: int = 250,
                 also: list[Profiler] | None = None) -> None:
        self.pid, self.seconds, self.path, self.rate = pid, seconds, path, rate
        self.also = also or []  # other processes recorded over the same window
        self.proc: subprocess.Popen | None = None
        self.error: str | None = None

    def start(self) -> Profiler:
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed: pip install -r requirements-dev.txt")
        self.proc = subprocess.Popen(
            [exe, "record", "--pid", str(self.pid), "--duration", str(max(1, int(self.seconds))),
             "--rate", str(self.rate), "--format", "raw", "--nonblocking", "-o", str(self.path)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for other in self.also:
            other.start()
        return self

    def wait(self) -> None:
        if self.proc:
            out, _ = self.proc.communicate(timeout=self.seconds + 60)
            if self.proc.returncode != 0:  # a profile is a bonus: say so, keep the benchmark's figures
                self.error = f"py-spy exited {self.proc.returncode}: {out.decode(errors='replace')[-300:]}"
                print(f"warning: {self.error}")
        for other in self.also:
            other.wait()

    def summary(self, top: int = 15) -> dict:
        if self.error or not self.path.exists():
            return {"samples": 0, "error": self.error, "inclusive_pct": [], "self_pct": []}
        return summarize(self.path, top)


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({'/'.join(Path(where).parts[-2:])})" if where else name


def summarize(path: Path, top: int = 15) -> dict:
    inclusive: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    total = 0
    for line in Path(path).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        for f in set(frames):
            inclusive[f] += n
        self_time[frames[-1]] += n
    pct = lambda c: round(100 * c / max(total, 1), 1)  # noqa: E731
    return {"samples": total,
            "inclusive_pct": [(f, pct(c)) for f, c in inclusive.most_common(top)],
            "self_pct": [(f, pct(c)) for f, c in self_time.most_common(top)]}


def format_summary(title: str, s: dict) -> str:
    lines = [f"profile {title}: {s['samples']} samples",
             "  self %   function (most time spent in the function itself)"]
    lines += [f"  {p:6.1f}   {f}" for f, p in s["self_pct"]]
    lines += ["  incl %   function (time in it and what it calls)"]
    lines += [f"  {p:6.1f}   {f}" for f, p in s["inclusive_pct"]]
    return "\n".join(lines)
