"""Processes a benchmark starts: our server, the Python and Node protocol servers, redis-server, mosquitto.

Each is a child process on a free loopback port with its output in a log file under a
temporary directory, ready once its `/health` answers (redis: once it answers PING; mosquitto:
once its port accepts a connection), and stopped with SIGTERM (SIGKILL after a grace period) when the benchmark ends.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT, children, free_port

REFERENCE_DIR = ROOT / "bench" / "reference"


class Proc:
    passwd: Path | None = None  # mosquitto's password file

    def __init__(self, name: str, cmd: list[str], *, env: dict | None = None, port: int,
                 workdir: Path, health: str | None = "/health") -> None:
        self.name, self.cmd, self.port, self.workdir, self.health = name, cmd, port, workdir, health
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"{name}.log"

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Proc:
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} not ready within {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.1)
        return self

    def _ready(self) -> bool:
        if self.health == "tcp":
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        if self.health is None:
            try:
                out = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, timeout=2)
                return out.stdout.strip() == b"PONG"
            except (OSError, subprocess.TimeoutExpired):
                return False
        try:
            with urllib.request.urlopen(self.url + self.health, timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    def tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def db_pid(self) -> int | None:
        kids = children(self.pid) if self.proc else []
        return kids[0] if kids else None

    def stop(self, timeout: float = 20.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


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


def fadjma_server(wd: Workdir, name: str = "server", *, env: dict | None = None, port: int | None = None) -> Proc:
    """`python -m server` with the embedded database (unless env has MONGODB_URI)."""
    port = port or free_port()
    data = wd.path / f"{name}-data"
    base = {"HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": str(data), "JWT_SECRET": wd.secret,
            "LOG_LEVEL": "WARNING", "CORS_ORIGINS": "*"}
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


def mosquitto_config(directory: Path, port: int) -> Path:
    """mqtt/'s config and ACL in `directory`, listening on 127.0.0.1:`port`, with an empty password
    file (returned; add logins with `mqtt_login`). Run as root, mosquitto drops to user `mosquitto`:
    `directory` and the files must be readable by it (not under a 0700 temporary directory)."""
    passwd, acl = directory / "fadjma.passwd", directory / "fadjma.acl"
    shutil.copy(ROOT / "mqtt" / "fadjma.acl", acl)
    acl.chmod(0o644)
    passwd.touch()
    passwd.chmod(0o644)
    conf = (ROOT / "mqtt" / "mosquitto.conf").read_text()
    conf = conf.replace("listener 1883", f"listener {port} 127.0.0.1")
    conf = conf.replace("/etc/mosquitto/fadjma.passwd", str(passwd)).replace("/etc/mosquitto/fadjma.acl", str(acl))
    (directory / "mosquitto.conf").write_text(conf)
    return passwd


def mqtt_login(passwd: Path, user: str, password: str, broker_pid: int | None = None) -> None:
    """Add a login with mqtt/add-device.sh; with `broker_pid` the broker reloads (asynchronously)."""
    env = {**os.environ, "MOSQUITTO_PID": str(broker_pid or "")}
    subprocess.run([str(ROOT / "mqtt" / "add-device.sh"), user, password, str(passwd)], check=True, env=env,
                   capture_output=True)


def mosquitto_server(wd: Workdir, name: str = "mosquitto") -> Proc:
    """mosquitto with mqtt/'s config on a free port; `proc.passwd` is its (empty) password file."""
    port = free_port()
    directory = wd.public_dir("fadjma-mqtt-")
    proc = wd.add(Proc(name, ["mosquitto", "-c", str(directory / "mosquitto.conf")], port=port, workdir=wd.path,
                       health="tcp"))
    proc.passwd = mosquitto_config(directory, port)
    return proc
