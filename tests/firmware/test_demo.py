"""The README's demo command (scripts/demo.sh) starts the server with its embedded database and the
demo users, provisions three devices through the API and simulates them over real transports;
within the first two minutes patient.ba's alerts fire and escalate, and the two well patients
raise nothing. Real time, bounded (the demo shortens escalation delays through the server's
settings; rule durations are the defaults)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.firmware.server_api import free_port

ROOT = Path(__file__).resolve().parents[2]


def call(base: str, path: str, token: str | None = None, body: dict | None = None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_demo_raises_and_escalates_alerts_within_two_minutes(tmp_path, symptoms_model_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out = open(tmp_path / "demo.out", "w+")
    demo = subprocess.Popen([str(ROOT / "scripts" / "demo.sh"), "--port", str(port), "--duration", "240",
                             "--data-dir", str(tmp_path / "data")], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                            # the session's small symptom model, not 25 s of training in the server
                            env={**os.environ, "SYMPTOMS_MODEL_DIR": str(symptoms_model_dir)})
    started = None
    try:
        token, ids, escalated = None, {}, []
        deadline = time.monotonic() + 300  # server start (~5-20 s on a loaded machine) + 2 minutes + margin
        while time.monotonic() < deadline and demo.poll() is None:
            time.sleep(2)
            try:
                if token is None:
                    token = call(base, "/api/token/", body={"username": "dr.fall", "password": "fadjma-demo-2026"})[
                        "access"]
                    started = time.monotonic()
                    unit = call(base, "/api/care-units/", token)[0]
                    summary = call(base, f"/api/care-units/{unit['id']}/summary", token)
                    ids = {p["name"]: p["id"] for p in summary["patients"]}
                alerts = call(base, "/api/iot/alerts?limit=100", token)
            except OSError:
                continue
            items = alerts if isinstance(alerts, list) else alerts.get("items", [])
            escalated = [a for a in items if a.get("escalation_level", 0) >= 1]
            if escalated:
                break
        log = (tmp_path / "demo.out").read_text()
        assert escalated, log[-3000:]
        assert time.monotonic() - started < 150, "alerts escalated only after the first two minutes (+ margin)"
        ba = ids["Aminata Ba"]
        assert {a["patient_id"] for a in items} == {ba}, items  # the well patients raise nothing
        causes = {c["rule"] if c["kind"] == "rule" else "news2" for a in items for c in a.get("causes") or []}
        assert {"news2", "spo2_low"} & ({a["type"] for a in items} | causes), items
        out.flush()
        log = (tmp_path / "demo.out").read_text()
        assert "alert:raised" in log and "over socketio" in log and "over websocket" in log
    finally:
        if demo.poll() is None:
            os.kill(demo.pid, signal.SIGINT)
        try:
            demo.wait(90)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        out.close()
    assert demo.returncode == 0, (tmp_path / "demo.out").read_text()[-3000:]
