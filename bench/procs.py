"""Processes a benchmark starts: our server, the Python and Node protocol servers, redis-server, mosquitto.

Each is a child process on a free loopback port with its output in a log file under a
temporary directory, ready once its `/health` answers (redis: once it answers PING; mosquitto:
once its port accepts a connection), and stopped with SIGTERM (SIGKILL after a grace period) when the benchmark ends.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, free_port
from tests.support.processes import Proc, mosquitto_config, mqtt_login  # noqa: F401  (re-exported)

REFERENCE_DIR = ROOT / "bench" / "reference"



class Workdir:
    """A temporary directory for DATA_DIRs and logs, removed at the end unless kept."""

    def __init__(self, keep: bool = False) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="fadjma-bench-"))
        self.keep = keep
        self.procs: list[Proc] = []
        self.dirs: list[Path] = []
        self.secret = secrets.token_urlsafe(48)

    def add(self, proc: Proc) -> Proc:
        self.procs.append(proc)
        return proc

    def public_dir(self, prefix: str) -> Path:
        """A world-readable directory outside `path` (which is 0700), removed with it: for daemons
        that drop root, such as mosquitto."""
        d = Path(tempfile.mkdtemp(prefix=prefix))
        d.chmod(0o755)
        self.dirs.append(d)
        return d

    def close(self) -> None:
        for p in reversed(self.procs):
            p.stop()
        if not self.keep:
            for d in [self.path, *self.dirs]:
                shutil.rmtree(d, ignore_errors=True)

    def __enter__(self) -> Workdir:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def symptoms_model() -> Path:
    """One symptom model for every benchmark server, trained once here before any measurement:
    a fresh DATA_DIR would otherwise train it in the server (25 s of CPU) during the run."""
    directory = ROOT / "bench" / "results" / "symptoms-model"
    if not (directory / "card.json").exists():
        subprocess.run([sys.executable, "-m", "server.symptoms.train", "--out", str(directory)], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
    return directory


# A benchmark is a deliberate flood: the server's per-user and per-device limits would measure themselves.
NO_RATE_LIMITS = {name: "off" for name in ("RATE_LIMIT_REST_WRITES", "RATE_LIMIT_SOCKET_EVENTS",
                                           "RATE_LIMIT_DEVICE_DATA", "RATE_LIMIT_CONNECTIONS")}


def fadjma_server(wd: Workdir, name: str = "server", *, env: dict | None = None, port: int | None = None) -> Proc:
    """`python -m server` with the embedded database (unless env has MONGODB_URI)."""
    port = port or free_port()
    data = wd.path / f"{name}-data"
    base = {"HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": str(data), "JWT_SECRET": wd.secret,
            "LOG_LEVEL": "WARNING", "CORS_ORIGINS": "*", "SYMPTOMS_MODEL_DIR": str(symptoms_model()),
            **NO_RATE_LIMITS}
    return wd.add(Proc(name, [sys.executable, "-m", "server"], env={**base, **(env or {})}, port=port,
                       workdir=wd.path))


def py_protocol_server(wd: Workdir, name: str = "python", *, env: dict | None = None,
                       port: int | None = None) -> Proc:
    """The Python protocol layer with no database (bench/reference/pyserver.py)."""
    port = port or free_port()
    base = {"PORT": str(port), "JWT_SECRET": wd.secret}
    return wd.add(Proc(name, [sys.executable, "-m", "bench.reference.pyserver"], env={**base, **(env or {})},
                       port=port, workdir=wd.path))


def npm_ci() -> None:
    """Install the Node reference's exact dependencies locally (never globally)."""
    marker = REFERENCE_DIR / "node_modules" / ".package-lock.json"
    lock = REFERENCE_DIR / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    if not shutil.which("npm"):
        raise RuntimeError("npm is not installed: apt-get install nodejs npm")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REFERENCE_DIR, check=True)


def node_reference(wd: Workdir, name: str = "node", *, env: dict | None = None) -> Proc:
    npm_ci()
    port = free_port()
    base = {"PORT": str(port), "JWT_SECRET": wd.secret}
    return wd.add(Proc(name, ["node", str(REFERENCE_DIR / "server.js")], env={**base, **(env or {})}, port=port,
                       workdir=wd.path))


def redis_server(wd: Workdir, name: str = "redis") -> Proc:
    port = free_port()
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--dir", str(wd.path)]
    return wd.add(Proc(name, cmd, port=port, workdir=wd.path, health=None))


def mosquitto_server(wd: Workdir, name: str = "mosquitto") -> Proc:
    """mosquitto with mqtt/'s config on a free port; `proc.passwd` is its (empty) password file."""
    port = free_port()
    directory = wd.public_dir("fadjma-mqtt-")
    proc = wd.add(Proc(name, ["mosquitto", "-c", str(directory / "mosquitto.conf")], port=port, workdir=wd.path,
                       health="tcp"))
    proc.passwd = mosquitto_config(directory, port)
    return proc
