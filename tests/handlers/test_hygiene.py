"""Response hygiene as a browser or a proxy sees it: security headers on every response (the web
app's page, API data, errors), no-store on health data, no version banner; and DATA_DIR created
owner-only by `python -m server` even when started with a permissive umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import urllib.request

from tests.support.processes import free_port

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


async def test_every_response_has_the_security_headers_and_no_banner(api):
    _, token = await api.user("hawa", "patient")
    for method, path, tok in [("GET", "/api/me", token), ("GET", "/api/me", None), ("GET", "/health", None),
                              ("GET", "/", None), ("GET", "/api/nothing-here", token)]:
        resp = await api.client.request(method, path, headers={"Authorization": f"Bearer {tok}"} if tok else {})
        h = resp.headers
        assert h["X-Content-Type-Options"] == "nosniff", path
        assert h["Referrer-Policy"] == "no-referrer" and h["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "script-src 'self';" in h["Content-Security-Policy"]
        assert h["Server"] == "Fadjma"  # not "Python/3.x aiohttp/3.x"
        if path.startswith("/api/"):
            assert h["Cache-Control"] == "no-store", path


async def test_health_data_is_never_cached(api):
    _, token = await api.user("ines", "patient")
    resp = await api.client.get("/api/notifications", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"


def test_data_dir_is_owner_only_whatever_the_umask(tmp_path, symptoms_model_dir):
    data = tmp_path / "data"
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(data), "PORT": str(port), "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING",
           "SYMPTOMS_MODEL_DIR": str(symptoms_model_dir)}
    env.pop("JWT_SECRET", None)
    env.pop("MONGODB_URI", None)
    proc = subprocess.Popen(["sh", "-c", f"umask 000 && exec {sys.executable} -m server"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "server did not become ready"
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(30)
    paths = [data, *data.rglob("*")]
    assert len(paths) > 3  # the database's files, its log, the JWT secret
    loose = {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in paths
             if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert loose == {}
