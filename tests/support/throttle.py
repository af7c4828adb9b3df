"""Drive the `limits` library's windows from a FakeClock, and start a real redis-server.

`limits` reads `time.time()` itself (its storages and strategies); the server reads the same
wall clock through `Clock`. Tests point limits' module-level `time` at the FakeClock, so a
lockout can be waited out by advancing the clock instead of sleeping.
"""

from __future__ import annotations

import subprocess
import types
from contextlib import contextmanager

import limits.aio.storage.memory
import limits.aio.storage.redis.redispy
import limits.aio.strategies

from server.clock import Clock
from tests.support.processes import free_port


def drive_limits(monkeypatch, clock: Clock) -> None:
    shim = types.SimpleNamespace(time=clock.timestamp)
    for module in (limits.aio.storage.memory, limits.aio.strategies, limits.aio.storage.redis.redispy):
        monkeypatch.setattr(module, "time", shim)


@contextmanager
def redis_server(workdir):
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            done = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True)
            if done.stdout.strip() == b"PONG":
                break
            subprocess.run(["sleep", "0.05"])
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
