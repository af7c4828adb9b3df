"""Demo mode: seed one admin, two doctors, one pharmacist and three patients, idempotently,
a care unit (server/demo/scenario.py), and run a simulated bedside monitor per patient
(server/demo/simulator.py); patient.ba deteriorates and recovers so alerts raise, escalate and clear."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from models.errors import Conflict
from server.accounts.users import Users
from server.clock import Clock
from server.demo.scenario import EPISODE, seed_ward
from server.demo.simulator import DEMO_ASSIGNMENTS, PROFILES, Simulator
from server.iot.ingest import Ingest
from server.iot.links import DeviceLinks
from server.iot.registry import Devices
from server.jobs import stop
from server.settings import Settings
from server.storage.db import Database

DEMO_PASSWORD = "fadjma-demo-2026"

DEMO_USERS: list[dict] = [
    {"username": "admin", "role": "admin", "first_name": "Awa", "last_name": "Ndiaye", "profile": {}},
    {"username": "dr.diop", "role": "doctor", "first_name": "Moussa", "last_name": "Diop",
     "profile": {"speciality": "cardiology"}},
    {"username": "dr.fall", "role": "doctor", "first_name": "Fatou", "last_name": "Fall",
     "profile": {"speciality": "general practice"}},
    {"username": "pharma.sow", "role": "pharmacist", "first_name": "Ibrahima", "last_name": "Sow",
     "profile": {}},
    {"username": "patient.ba", "role": "patient", "first_name": "Aminata", "last_name": "Ba",
     "profile": {"birth_date": "1958-04-12", "gender": "female", "blood_pressure": "high",
                 "cholesterol_level": "high"}},
    {"username": "patient.gueye", "role": "patient", "first_name": "Cheikh", "last_name": "Gueye",
     "profile": {"birth_date": "1990-09-03", "gender": "male", "blood_pressure": "normal",
                 "cholesterol_level": "normal"}},
    {"username": "patient.sarr", "role": "patient", "first_name": "Khady", "last_name": "Sarr",
     "profile": {"birth_date": "1975-01-25", "gender": "female", "blood_pressure": "low",
                 "cholesterol_level": "normal"}},
]


@dataclass(frozen=True)
class Demo:
    """What the demo drives: the services a user would go through (wired by `python -m server --demo`)."""

    settings: Settings
    db: Database
    clock: Clock
    users: Users
    devices: Devices
    ingest: Ingest
    links: DeviceLinks


async def seed_demo(users: Users) -> list[tuple[str, str, bool]]:
    """Create the demo users that do not exist yet. Returns (username, role, created)."""
    out = []
    for spec in DEMO_USERS:
        try:
            await users.create(password=DEMO_PASSWORD, **spec)
            out.append((spec["username"], spec["role"], True))
        except Conflict:
            out.append((spec["username"], spec["role"], False))
    return out


def demo_ctx(demo: Demo):
    """cleanup_ctx: seed the users and the ward, run the simulated monitors, print how to try it."""
    return lambda _app: _running(demo)


async def _running(demo: Demo) -> AsyncIterator[None]:
    seeded = await seed_demo(demo.users)
    ward = await seed_ward(demo.db, demo.clock)
    # patient.ba deteriorates, is treated and recovers every 30 min: alerts raise, escalate, clear.
    simulator = Simulator(demo.db, demo.clock, demo.devices, demo.ingest, demo.links,
                          assignments={**DEMO_ASSIGNMENTS, "patient.ba": EPISODE})
    devices = await simulator.provision()
    task = asyncio.create_task(simulator.run(), name="device-simulator")
    port = demo.settings.port
    lines = ["", f"Fadjma demo users (password for all: {DEMO_PASSWORD})"]
    lines += [f"  {role:<11} {name:<14} {'created' if new else 'exists'}" for name, role, new in seeded]
    lines += [f"Try: curl -s -X POST http://127.0.0.1:{port}/api/token/ -H 'Content-Type: application/json' "
              f"-d '{{\"username\":\"dr.diop\",\"password\":\"{DEMO_PASSWORD}\"}}'"]
    lines += ["Simulated devices (readings every 5 s through the ingest pipeline):"]
    lines += [f"  {device['_id']:<22} patient {device['patient_id'][:8]}…  profile "
              f"{next((k for k, v in PROFILES.items() if v is profile), 'deteriorate-recover (30 min cycle)')}"
              for device, profile in devices]
    if ward:
        lines += [f"Care unit {ward['name']}: the three patients, staff dr.fall (watch it with unit:watch "
                  f"{{unit_id: {ward['_id']!r}}}); alerts escalate to every doctor when nobody acknowledges them."]
    lines += [""]
    # Console output for the person who started the demo, deliberately not a log line.
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    yield
    await stop(task)
