"""End-to-end support: a real server process (restartable), a small JSON client, the browser.

The server is `python -m server --demo` (the documented way to get the demo users) on a free
loopback port, against the test session's SecantusDB with a database of its own, serving the
built web app (web/dist, built by scripts/test.sh). Chromium is Debian's (/usr/bin/chromium),
driven by Playwright's own driver; no browser is ever downloaded.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-quic"]
DEMO_PASSWORD = "fadjma-demo-2026"
PASSWORD = "e2e-password-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`python -m server --demo` as a child process; stop() and start() keep port, secret and data."""

    def __init__(self, mongo_uri: str, db_name: str, data_dir: Path, log_path: Path, **extra_env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "MONGODB_URI": mongo_uri,
                    "MONGODB_DB": db_name, "DATA_DIR": str(data_dir), "JWT_SECRET": secrets.token_urlsafe(48),
                    "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", **extra_env}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([sys.executable, "-m", "server", "--demo"], cwd=ROOT, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + "/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready within {timeout} s; see {self.log_path}")

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Http:
    """Blocking JSON calls against the server (the tests' own actions, outside the browser)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, token: str | None = None, body=None, expect: int | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        out = json.loads(raw) if raw else None
        if expect is not None:
            assert status == expect, (method, path, status, out)
        return out

    def login(self, username: str, password: str) -> str:
        return self.call("POST", "/api/token/", body={"username": username, "password": password}, expect=200)["access"]
