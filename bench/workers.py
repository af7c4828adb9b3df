"""Load generators in their own processes, started together and measured over one window.

A worker is an `async def fn(cfg, ctl) -> dict` at module level. It sets up (connects its
sockets), calls `await ctl.ready(info)`, which returns once every worker is ready and the
parent said go, runs until `ctl.deadline`, and returns its result. The parent measures the
servers' CPU over exactly the window between go and the last worker's result; each worker
reports its own CPU use over the same window, so a saturated client is visible.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing as mp
import resource
import time
import traceback
from collections.abc import Callable

from bench.common import CpuWindow, raise_fd_limit

log = logging.getLogger(__name__)


class Control:
    def __init__(self, conn, index: int) -> None:
        self.conn = conn
        self.index = index
        self.deadline = 0.0
        self._cpu0 = 0.0
        self._t0 = 0.0

    async def ready(self, info: dict | None = None) -> None:
        self.conn.send(("ready", info or {}))
        loop = asyncio.get_running_loop()
        msg, duration = await loop.run_in_executor(None, self.conn.recv)
        assert msg == "go"
        self._t0 = time.perf_counter()
        self.deadline = self._t0 + duration
        self._cpu0 = _own_cpu()

    def cpu_pct(self) -> float:
        """This worker's CPU use since go, in % of one core."""
        return round(100 * (_own_cpu() - self._cpu0) / max(time.perf_counter() - self._t0, 1e-9), 1)

    def measured(self, result: dict) -> None:
        """Hand the result to the parent now (before slow teardown such as closing sockets)."""
        result.setdefault("client_cpu_pct", self.cpu_pct())
        result.setdefault("elapsed_s", time.perf_counter() - self._t0)
        self.conn.send(("measured", result))


def _own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _entry(fn_path: str, cfg: dict, conn, index: int) -> None:
    raise_fd_limit()
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    module, name = fn_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    ctl = Control(conn, index)
    try:
        result = asyncio.run(fn(cfg, ctl))
        if result is not None:
            ctl.measured(result)
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def run_workers(fn: Callable, configs: list[dict], *, duration: float, watch: dict[str, int],
                ready_timeout: float = 300.0) -> tuple[list[dict], dict, list[dict]]:
    """Start one process per config, wait until all are ready, run `duration` seconds.

    Returns (results, server CPU/RSS window, ready infos)."""
    return run_workers_mixed([(fn, c) for c in configs], duration=duration, watch=watch,
                             ready_timeout=ready_timeout)


def run_workers_mixed(jobs: list[tuple[Callable, dict]], *, duration: float, watch: dict[str, int],
                      ready_timeout: float = 300.0, on_go: Callable[[], None] | None = None,
                      ) -> tuple[list[dict], dict, list[dict]]:
    """Like run_workers with a function per process. Configs with `"role": "watchers"` may linger
    past the window (to catch late deliveries); the CPU window closes when the others report."""
    ctx = mp.get_context("spawn")
    procs, conns = [], []
    for i, (fn, cfg) in enumerate(jobs):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_entry, args=(f"{fn.__module__}:{fn.__name__}", cfg, child, i), daemon=True)
        p.start()
        child.close()
        procs.append(p)
        conns.append(parent)
    try:
        infos = [_expect(c, "ready", ready_timeout) for c in conns]
        window = CpuWindow(watch).start()
        for c in conns:
            c.send(("go", duration))
        if on_go:
            on_go()
        results: list[dict | None] = [None] * len(jobs)
        lingering = [i for i, (_, cfg) in enumerate(jobs) if cfg.get("role") == "watchers"]
        for i in range(len(jobs)):
            if i not in lingering:
                results[i] = _expect(conns[i], "measured", duration + 120)
        cpu = window.stop()
        for i in lingering:
            results[i] = _expect(conns[i], "measured", duration + 120)
        return results, cpu, infos
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()


def _expect(conn, kind: str, timeout: float):
    if not conn.poll(timeout):
        raise TimeoutError(f"a load generator did not report {kind!r} within {timeout:.0f} s")
    msg = conn.recv()
    if msg[0] == "error":
        raise RuntimeError(f"load generator failed:\n{msg[1]}")
    assert msg[0] == kind, msg
    return msg[1]


def split(total: int, parts: int) -> list[int]:
    """`total` items over `parts` workers as evenly as possible."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]
