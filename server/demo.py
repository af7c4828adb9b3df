"""Demo mode: seed one admin, two doctors, one pharmacist and three patients, idempotently,
a care unit (server/demo_scenario.py), and run a simulated bedside monitor per patient
(server/simulator.py); patient.ba deteriorates and recovers so alerts raise, escalate and clear."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from aiohttp import web

from models.errors import Conflict
from server.demo_scenario import EPISODE, seed_ward
from server.keys import SETTINGS, USERS
from server.simulator import DEMO_ASSIGNMENTS, PROFILES, Simulator

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


async def seed_demo(app: web.Application) -> list[tuple[str, str, bool]]:
    """Create the demo users that do not exist yet. Returns (username, role, created)."""
    out = []
    for spec in DEMO_USERS:
        try:
            await app[USERS].create(password=DEMO_PASSWORD, **spec)
            out.append((spec["username"], spec["role"], True))
        except Conflict:
            out.append((spec["username"], spec["role"], False))
    return out


async def demo_ctx(app: web.Application, simulate: bool = True) -> AsyncIterator[None]:
    seeded = await seed_demo(app)
    ward = await seed_ward(app)
    # patient.ba deteriorates, is treated and recovers every 30 min: alerts raise, escalate, clear.
    # Without `simulate` (`--no-simulator`) external devices feed the patients instead (scripts/demo.sh).
    simulator = Simulator(app, assignments={**DEMO_ASSIGNMENTS, "patient.ba": EPISODE} if simulate else {})
    devices = await simulator.provision()
    task = asyncio.create_task(simulator.run(), name="device-simulator")
    port = app[SETTINGS].port
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
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
