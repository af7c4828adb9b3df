"""Real processes for tests and benchmarks: free ports, tokens, a started-and-checked child, mosquitto.

Shared with bench/ (bench imports from here; no test imports bench).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mint_token(secret: str, user_id: str, role: str, ttl: int = 3600) -> str:
    """An access token shaped exactly like server.auth.tokens issues (no database row needed)."""
    now = int(time.time())
    claims = {"sub": user_id, "role": role, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex,
              "type": "access", "fam": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm="HS256")


def children(pid: int) -> list[int]:
    """Direct child pids (e.g. the embedded SecantusDB of a server)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                continue
    return out


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


@contextlib.contextmanager
def two_servers(tmp_path: Path, mongo_uri: str, db_name: str, redis_port: int, symptoms_model_dir: Path,
                **env: str) -> Iterator[dict]:
    """Two `python -m server` processes on one database and one Redis: {"a", "b"} URLs, the JWT secret
    and a pymongo handle. They load the session's symptom model instead of each training one."""
    secret = secrets.token_urlsafe(48)
    base = {"MONGODB_URI": mongo_uri, "MONGODB_DB": db_name, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "JWT_SECRET": secret, "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "CORS_ORIGINS": "*",
            "SYMPTOMS_MODEL_DIR": str(symptoms_model_dir), **env}
    procs = []
    try:
        for name in ("a", "b"):
            port = free_port()
            p = Proc(f"server-{name}", [sys.executable, "-m", "server"], port=port, workdir=tmp_path,
                     env={**base, "PORT": str(port), "DATA_DIR": str(tmp_path / name)})
            procs.append(p.start())
        with MongoClient(mongo_uri) as client:
            yield {"a": procs[0].url, "b": procs[1].url, "secret": secret, "db": client[db_name]}
    finally:
        for p in procs:
            p.stop()
