"""Long runs of simulated vitals through the whole alerting path on a FakeClock (no sleeping, no bench).

`simulate(app, profiles, minutes)` provisions one device per profile (a new patient each), then for
every simulated minute submits that minute's 12 reading sets per device (ts 5 s apart) to the real
Ingest (group commit, vitals_latest, last_seen, the alert engine), sends a heartbeat with a slowly
draining battery, and runs the escalation and offline-device passes. It returns what happened.

As a script, it runs the demo's normal profiles for a long stretch against a throw-away embedded
database and prints the number of alerts raised (the goal is 0):

    python -m tests.support.longrun --hours 24
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.devices import DeviceCreateIn, HeartbeatIn
from server.keys import ALERT_ENGINE, CLOCK, DB, DEVICE_LINKS, DEVICES, INGEST, USERS

INTERVAL_S = 5.0
PER_MINUTE = int(60 / INTERVAL_S)


async def simulate(app, profiles: dict[str, object], minutes: int, seed: int = 7) -> dict:
    clock, ingest, engine = app[CLOCK], app[INGEST], app[ALERT_ENGINE]
    rng = random.Random(seed)
    devices = []
    for i, (name, profile) in enumerate(profiles.items()):
        user = await app[USERS].create(username=f"sim{i}_{name}", password="x" * 12, role="patient",
                                       profile={"birth_date": "1970-01-01", "gender": "female"})
        device, _ = await app[DEVICES].create(DeviceCreateIn(
            name=f"sim {name}", type="multi_sensor", mac=f"02:00:00:00:{i // 256:02X}:{i % 256:02X}",
            patient_id=user["_id"]))
        devices.append((device, profile, user["_id"]))
    start, seq, escalations = clock.now(), 0, 0
    for minute in range(minutes):
        clock.set(start + timedelta(minutes=minute + 1))
        now = clock.now()
        sends = []
        for device, profile, _ in devices:
            for k in range(PER_MINUTE):
                seq += 1
                at = now - timedelta(seconds=INTERVAL_S * (PER_MINUTE - 1 - k))
                values = profile.values(minute + k / PER_MINUTE, rng)
                sends.append(ingest.submit(device, {"seq": seq, "ts": at.timestamp(), "readings": values}, "sim"))
        results = await asyncio.gather(*sends)
        assert all(r["status"] == "accepted" for r in results), results[:3]
        await ingest.settled()
        for device, _, _ in devices:
            battery = round(max(5.0, 100.0 - minute / 30), 1)  # the simulator's drain: ~2 %/h
            await app[DEVICE_LINKS].heartbeat(device, HeartbeatIn(battery=battery, rssi=-58, uptime=minute * 60),
                                              "sim")
        escalations += len(await engine.escalation.run_once())
        await engine.devices.scan_offline()
    alerts = await app[DB]["alerts"].find({}).to_list(None)
    return {"patients": len(devices), "minutes": minutes, "readings": seq, "alerts_raised": len(alerts),
            "by_type": dict(collections.Counter(f"{a['type']}:{a['severity']}" for a in alerts)),
            "open": sum(1 for a in alerts if a["open"]), "escalations": escalations, "alerts": alerts,
            "patient_ids": [p for _, _, p in devices]}


async def _main(hours: float, patients: int) -> int:
    from aiohttp import web

    from server.app import create_app
    from server.clock import FakeClock
    from server.demo.simulator import PROFILES
    from server.settings import Settings
    from server.storage.embedded_db import EmbeddedDB

    with tempfile.TemporaryDirectory() as tmp:
        db = EmbeddedDB(Path(tmp) / "db", ttl_sweep_s=0)  # the FakeClock is months behind the wall clock
        uri = await asyncio.to_thread(db.start)
        try:
            settings = Settings(mongodb_uri=uri, mongodb_db="longrun", data_dir=Path(tmp) / "data",
                                jwt_secret="l" * 48, alert_tick_s=3600.0)
            app = create_app(settings, FakeClock(datetime(2026, 3, 1, tzinfo=UTC)))
            runner = web.AppRunner(app)
            await runner.setup()
            try:
                normal = ["stable", "hypertensive"]
                profiles = {f"{normal[i % 2]}{i}": PROFILES[normal[i % 2]] for i in range(patients)}
                result = await simulate(app, profiles, int(hours * 60))
            finally:
                await runner.cleanup()
        finally:
            await asyncio.to_thread(db.stop)
    result.pop("alerts"), result.pop("patient_ids")
    sys.stdout.write(f"{result}\n")
    return 0 if result["alerts_raised"] == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--patients", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(_main(args.hours, args.patients)))
