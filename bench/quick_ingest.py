"""Quick load on the Socket.IO device path: messages/s and acknowledgement latency.

    .venv/bin/python -m bench.quick_ingest [--devices 50] [--seconds 10] [--window 1]

Starts `python -m server --demo` (embedded SecantusDB, fresh DATA_DIR, free port) as a child
process, provisions N devices for a demo patient over REST, then, from this separate process,
connects N python-socketio clients to `/devices` and has each send `vitals:send` and wait for
the acknowledgement (sent after the durable group commit), `--window` messages in flight per
device. Prints messages/s and p50/p90/p99/max ack latency; stops the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import socketio

from bench.procs import symptoms_model

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "fadjma-demo-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_ready(base: str, proc: subprocess.Popen) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError("the server exited")
            try:
                async with http.get(f"{base}/ready") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not become ready")


async def provision(base: str, n: int) -> list[dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/token/", json={"username": "admin", "password": PASSWORD}) as r:
            admin = (await r.json())["access"]
        auth = {"Authorization": f"Bearer {admin}"}
        async with http.get(f"{base}/api/users/?role=patient", headers=auth) as r:
            patient = (await r.json())[0]["id"]
        devices = []
        for i in range(n):
            body = {"name": f"bench-{i}", "type": "multi_sensor", "mac": f"0A:00:00:00:{i // 256:02X}:{i % 256:02X}",
                    "patient_id": patient, "device_id": f"bench-{secrets.token_hex(3)}-{i}"}
            async with http.post(f"{base}/api/iot/devices", json=body, headers=auth) as r:
                devices.append(await r.json())
        return devices


async def device_loop(base: str, dev: dict, stop_at: float, window: int, lat: list[float], errors: list) -> None:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(base, auth={"device_id": dev["id"], "token": dev["token"]}, namespaces=["/devices"],
                      transports=["websocket"], wait_timeout=10)
    seq = 0

    async def lane() -> None:
        nonlocal seq
        while time.perf_counter() < stop_at:
            seq += 1
            msg = {"seq": seq, "readings": {"heart_rate": 60 + seq % 40, "spo2": 97, "temperature": 36.8}}
            t0 = time.perf_counter()
            ack = await sio.call("vitals:send", msg, namespace="/devices", timeout=30)
            lat.append(time.perf_counter() - t0)
            if not ack.get("ok") or ack["data"]["status"] != "accepted":
                errors.append(ack)

    await asyncio.gather(*(lane() for _ in range(window)))
    await sio.disconnect()


async def load(args: argparse.Namespace, base: str, proc: subprocess.Popen) -> int:
    await wait_ready(base, proc)
    devices = await provision(base, args.devices)
    lat: list[float] = []
    errors: list = []
    start = time.perf_counter()
    stop_at = start + args.seconds
    await asyncio.gather(*(device_loop(base, d, stop_at, args.window, lat, errors) for d in devices))
    elapsed = time.perf_counter() - start
    lat.sort()
    q = statistics.quantiles(lat, n=100)
    print(f"devices={args.devices} window={args.window} seconds={elapsed:.1f} acked={len(lat)} errors={len(errors)}")
    print(f"throughput={len(lat) / elapsed:.0f} msg/s  ack latency ms: p50={q[49] * 1000:.1f} "
          f"p90={q[89] * 1000:.1f} p99={q[98] * 1000:.1f} max={lat[-1] * 1000:.1f}")
    return 1 if errors else 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--window", type=int, default=1, help="messages in flight per device")
    args = ap.parse_args()
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="fadjma-bench-")
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "DATA_DIR": data_dir, "LOG_LEVEL": "WARNING",
           "JWT_SECRET": secrets.token_urlsafe(48), "SYMPTOMS_MODEL_DIR": str(symptoms_model()),
           "RATE_LIMIT_DEVICE_DATA": "off", "RATE_LIMIT_SOCKET_EVENTS": "off"}
    proc = subprocess.Popen([sys.executable, "-m", "server", "--demo"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        try:
            import uvloop
            uvloop.install()
        except ImportError:
            pass
        return asyncio.run(load(args, f"http://127.0.0.1:{port}", proc))
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
