"""The live demo (`scripts/demo.sh`): the server with its embedded database and the demo users,
Mosquitto when installed, three bedside devices provisioned through the admin API and simulated
over real transports, and a terminal view of the alerts as dr.fall (Ward A's doctor) gets them.

patient.ba develops sepsis over the first `--onset` seconds (Socket.IO device); patient.gueye
(raw WebSocket) and patient.sarr (MQTT, or HTTP without Mosquitto) stay well. With escalation
shortened for the demo (critical 30 s, emergency 20 s), SpO2 and NEWS2 alerts fire after about a
minute and escalate to every doctor before the second minute ends unless someone acknowledges them.
The server's own in-process feed is off (`--no-simulator`), so no patient is fed twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import socketio

from bench.procs import Proc, Workdir, mosquitto_config
from bench.procs import mqtt_login as add_mqtt_login
from firmware.sim.device import RateLimit
from firmware.sim.fleet import Admin, Spec, dev_eui_of, make_device, run_fleet
from server.storage.embedded_db import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "fadjma-demo-2026"  # server/demo.py's demo password
SECRET = "demo-lorawan-webhook-secret"
ENV = {"ALERT_ESCALATION_CRITICAL_S": "30", "ALERT_ESCALATION_EMERGENCY_S": "20", "ALERT_ESCALATION_WARNING_S": "0",
       "ALERT_ESCALATION_MIN_REPEAT_S": "30", "ALERT_TICK_S": "2", "UNIT_SUMMARY_S": "15",
       "ACCESS_TOKEN_TTL": "3600", "LORAWAN_WEBHOOK_SECRET": SECRET}


def say(started: float, text: str) -> None:
    sys.stdout.write(f"[{time.monotonic() - started:6.1f} s] {text}\n")
    sys.stdout.flush()


async def watch(base_url: str, started: float) -> socketio.AsyncClient:
    """dr.fall's view: the alert events of Ward A's patients, printed as they arrive."""
    doctor = Admin(base_url)
    try:
        await doctor.login("dr.fall", PASSWORD)
        _, units = await doctor.call("GET", "/api/care-units/")
    finally:
        await doctor.close()
    sio = socketio.AsyncClient(reconnection=True, handle_sigint=False)
    names: dict[str, str] = {}

    seen: set[tuple] = set()

    def show(event: str):
        async def handler(data):
            alert = data.get("alert", {})
            key = (event, alert.get("id"), alert.get("severity"), alert.get("escalation_level"), alert.get("state"))
            if key in seen:  # the same event through another of dr.fall's rooms (user, unit, role:doctor)
                return
            seen.add(key)
            who = names.get(alert.get("patient_id"), alert.get("patient_id", "?"))
            say(started, f"{event:<18} {who:<14} {alert.get('type', '?'):<18} {alert.get('severity', '?'):<9} "
                         f"value {alert.get('last_value')} (escalation level {alert.get('escalation_level', 0)})")
        return handler

    for event in ("alert:raised", "alert:escalated", "alert:cleared", "alert:acknowledged"):
        sio.on(event, show(event))
    await sio.connect(base_url, auth={"token": doctor.token}, transports=["websocket"], wait_timeout=10)
    for unit in units:
        summary = await sio.call("unit:watch", {"unit_id": unit["id"]}, timeout=10)
        for p in (summary.get("data") or {}).get("patients", []):
            names[p["id"]] = p.get("name") or p["id"]
    say(started, f"watching as dr.fall: alerts of {', '.join(names.values()) or 'no patient'}")
    return sio


async def feed(base_url: str, args: argparse.Namespace, broker: Proc | None, started: float) -> None:
    admin = Admin(base_url)
    try:
        await admin.login("admin", PASSWORD)
        patients = await admin.patient_ids()
        plan = [("bedside-ba", "patient.ba", "socketio", "sepsis"),
                ("bedside-gueye", "patient.gueye", "websocket", "normal"),
                ("bedside-sarr", "patient.sarr", "mqtt" if broker else "http", "normal")]
        devices, rate = [], RateLimit(50)
        for device_id, username, transport, scenario in plan:
            spec = Spec(device_id, patients[username], transport, scenario, args.interval, True, seed=len(devices),
                        onset_s=args.onset)
            token = await admin.device(device_id, spec.patient_id, max(1, round(args.interval)),
                                       dev_eui_of(device_id))
            if transport == "mqtt":
                add_mqtt_login(broker.passwd, device_id, token, broker.pid)
                await asyncio.sleep(0.5)  # mosquitto reloads its password file on SIGHUP
            devices.append(make_device(spec, base_url, token, rate, mqtt_broker=f"127.0.0.1:{broker.port}"
                                       if broker else "", lorawan_secret=SECRET))
            say(started, f"device {device_id:<14} → {username:<14} over {transport:<9} scenario {scenario}")
    finally:
        await admin.close()
    watcher = await watch(base_url, started)
    try:
        await run_fleet(devices, args.duration)
    finally:
        await watcher.disconnect()


async def until_stopped(work) -> None:
    """Run `work` until it ends or SIGINT/SIGTERM arrives; then cancel it (devices close their links)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    task, stopper = asyncio.create_task(work), asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="scripts/demo.sh", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=8000, help="server port (0: any free port)")
    p.add_argument("--data-dir", default=str(ROOT / "data" / "demo"), help="the demo's DATA_DIR")
    p.add_argument("--duration", type=float, default=900.0, help="seconds to run (at most 4 h)")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between readings")
    p.add_argument("--onset", type=float, default=30.0, help="seconds for patient.ba's sepsis to develop")
    p.add_argument("--no-mqtt", action="store_true", help="do not start Mosquitto (patient.sarr then uses HTTP)")
    args = p.parse_args(argv)
    if not 0 < args.duration <= 4 * 3600:
        p.error("--duration must be in (0, 14400]")
    port = args.port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with Workdir() as wd:
        broker = None
        env = {**ENV, "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": args.data_dir}
        if not args.no_mqtt and (os.path.exists("/usr/sbin/mosquitto") or any(
                os.access(os.path.join(d, "mosquitto"), os.X_OK) for d in os.environ.get("PATH", "").split(":"))):
            broker_port = free_port()
            directory = wd.public_dir("fadjma-demo-mqtt-")
            broker = wd.add(Proc("mosquitto", ["mosquitto", "-c", str(directory / "mosquitto.conf")],
                                 port=broker_port, workdir=wd.path, health="tcp"))
            broker.passwd = mosquitto_config(directory, broker_port)
            bridge_password = "demo-bridge-password"
            add_mqtt_login(broker.passwd, "fadjma-server", bridge_password)
            broker.start()
            env["MQTT_URL"] = f"mqtt://fadjma-server:{bridge_password}@127.0.0.1:{broker_port}"
            env["MQTT_CLIENT_ID"] = f"fadjma-demo-{port}"
            say(started, f"mosquitto on 127.0.0.1:{broker_port}")
        server = wd.add(Proc("server", [sys.executable, "-m", "server", "--demo", "--no-simulator"], env=env,
                             port=port, workdir=wd.path, health="/ready"))
        server.start(timeout=90)
        say(started, f"server on {base_url} (log {server.log_path}; data {args.data_dir})")
        login = json.dumps({"username": "dr.fall", "password": PASSWORD})
        say(started, f"log in as dr.fall or dr.diop, password {PASSWORD}; e.g. curl -s -X POST {base_url}/api/token/ "
                     f"-H 'Content-Type: application/json' -d '{login}'")
        # Not asyncio.run: its own SIGINT handling would cancel the main task before ours stops the devices.
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(until_stopped(feed(base_url, args, broker, started)))
        finally:
            loop.close()
        say(started, "stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())
