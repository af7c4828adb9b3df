"""SecantusDB as a child process: the database used when MONGODB_URI is unset.

It runs in its own process (in-process it would share the GIL with the event loop)
with `--sync-on-commit`, so an acknowledged write survives a crash of either process.
`supervise` restarts it when it dies (same port, same storage, with backoff) and gives up,
making /health unhealthy, when it keeps dying or cannot start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from server.storage.outage import Outage

log = logging.getLogger(__name__)

# engineering-facts.md: retryWrites makes SecantusDB scan its bookkeeping on every write
# once it holds ~10k records, and it closes idle sockets after 300 s.
SECANTUS_URI_OPTIONS = "retryWrites=false&maxIdleTimeMS=240000&directConnection=true"


class EmbeddedDBError(RuntimeError):
    """The embedded database could not be started."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _binary() -> str:
    beside = Path(sys.executable).with_name("secantusd-py")
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if not found:
        raise EmbeddedDBError("secantusd-py not found: install SecantusDB (pip install -r requirements.txt)")
    return found


class EmbeddedDB:
    """Start, wait for and stop one SecantusDB server storing under `storage`."""

    def __init__(self, storage: Path, *, host: str = "127.0.0.1", port: int | None = None,
                 ttl_sweep_s: float | None = None) -> None:
        self.storage = Path(storage)
        self.host = host
        self.port = port
        # The TTL sweeper runs on the database's wall clock (every 60 s by default). Tests whose
        # injected clock lives months in the past turn it off (0): it would delete the documents
        # they have just written, whenever a sweep fell between a write and its read.
        self.ttl_sweep_s = ttl_sweep_s
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?{SECANTUS_URI_OPTIONS}"

    @property
    def pid_file(self) -> Path:
        return self.storage / "secantusd.pid"

    def _reap_orphan(self) -> None:
        """Stop a SecantusDB left running by a server that was killed (its parent is gone).

        A live server's child is left alone: starting then fails with a clear message.
        """
        try:
            pid, owner = (int(x) for x in self.pid_file.read_text().split())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return
        if "secantusd" not in cmdline or str(self.storage) not in cmdline or Path(f"/proc/{owner}").exists():
            return
        log.warning("stopping orphaned SecantusDB (pid %s) left by a previous server", pid)
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def start(self, timeout: float = 30.0) -> str:
        self.storage.mkdir(parents=True, exist_ok=True)
        self._reap_orphan()
        self.port = self.port or free_port(self.host)
        log_path = self.storage.parent / "secantusdb.log"
        cmd = [
            _binary(), "--host", self.host, "--port", str(self.port),
            "--storage-path", str(self.storage / "wiredtiger"), "--sync-on-commit",
            "--log-level", "WARNING",
        ]
        config = self.storage / "fadjma-secantusd.toml"  # not ./secantusd.toml: never auto-discovered
        if self.ttl_sweep_s is not None:
            config.write_text(f"[storage]\nttl_sweep_seconds = {float(self.ttl_sweep_s)}\n")
            # secantusd-py ignores that setting (0.7.0b3): the same launcher, passing it on.
            # Run by path: the child's cwd is the storage directory, where `server` is not importable.
            launcher = Path(__file__).with_name("secantusd_launch.py")
            cmd = [sys.executable, str(launcher), *cmd[1:], "--config", str(config)]
        with open(log_path, "ab") as out:
            # cwd = storage so the launcher never picks up a stray ./secantusd.toml
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.storage,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        client: MongoClient = MongoClient(self.uri, serverSelectionTimeoutMS=250, connectTimeoutMS=250)
        try:
            while True:
                if self.proc.poll() is not None:
                    tail = log_path.read_text(errors="replace")[-800:]
                    raise EmbeddedDBError(
                        f"SecantusDB exited with code {self.proc.returncode} "
                        f"(is another server using {self.storage}?):\n{tail}"
                    )
                try:
                    client.admin.command("ping")
                    break
                except PyMongoError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise EmbeddedDBError(f"SecantusDB did not answer within {timeout:.0f} s") from None
                    time.sleep(0.05)
        finally:
            client.close()
        # "<database pid> <server pid>": lets a later start recognise an orphan of a killed server
        self.pid_file.write_text(f"{self.proc.pid} {os.getpid()}")
        log.info("embedded SecantusDB ready on %s:%s (storage %s)", self.host, self.port, self.storage)
        return self.uri

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        self.pid_file.unlink(missing_ok=True)
        proc.send_signal(signal.SIGTERM)  # lets WiredTiger checkpoint and close cleanly
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("SecantusDB did not stop within %.0f s; killing it", timeout)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def exit_code(self) -> int | None:
        """None while it runs (or was never started); its exit code once it died."""
        return None if self.proc is None else self.proc.poll()

    def kill(self) -> None:
        """Crash it (tests): no clean shutdown at all."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


# Restart delays after a crash; more crashes than MAX_CRASHES within CRASH_WINDOW_S is a loop, not a hiccup.
RESTART_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
MAX_CRASHES, CRASH_WINDOW_S = 5, 600.0


async def supervise(db: EmbeddedDB, outage: Outage, *, poll_s: float = 0.25,
                    delays: tuple[float, ...] | None = None) -> None:
    """Watch the child; when it dies, start it again on the same port and storage (the driver
    reconnects by itself). Runs until cancelled, or returns after giving up (`outage.gave_up`)."""
    delays = delays or RESTART_DELAYS_S
    crashes: list[float] = []
    while True:
        await asyncio.sleep(poll_s)
        code = db.exit_code()
        if code is None:
            continue
        now = outage.clock.timestamp()
        crashes = [t for t in crashes if now - t < CRASH_WINDOW_S] + [now]
        if len(crashes) > MAX_CRASHES:
            outage.gave_up(f"SecantusDB died {len(crashes)} times within {CRASH_WINDOW_S:.0f} s")
            return
        log.error("the embedded SecantusDB exited with code %s; restarting it on the same storage", code)
        outage.began()  # requests failing meanwhile are counted, not each logged
        for attempt, delay in enumerate(delays, 1):
            await asyncio.sleep(delay)
            try:
                await asyncio.to_thread(db.start)
                break
            except EmbeddedDBError as exc:
                log.warning("restarting SecantusDB failed (attempt %d of %d): %s", attempt, len(delays),
                            str(exc).splitlines()[0])
        else:
            outage.gave_up(f"SecantusDB could not be restarted after {len(delays)} attempts")
            return
        log.warning("the embedded SecantusDB was restarted (pid %s)", db.proc.pid if db.proc else "?")
