"""Simulated bedside devices for the demo: one per demo patient, plausible vitals every few seconds.

Readings go through the real ingest pipeline (validation, group commit, vitals_latest, rollups,
`vitals:new`, the alert engine's subscription), exactly as a device's would. Each patient has a
profile: a baseline, noise, and an optional drift per minute with a limit, so one demo patient
can deteriorate slowly (heart rate and breathing up, SpO2 and blood pressure down, fever) for
the alerting demo. Change `DEMO_ASSIGNMENTS` or pass `assignments=` to choose who gets what.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from dataclasses import dataclass, field

from models.devices import DeviceCreateIn, HeartbeatIn
from server.clock import Clock
from server.iot.ingest import Ingest
from server.iot.links import DeviceLinks
from server.iot.registry import Devices
from server.jobs import every
from server.storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    baseline: dict[str, float]
    noise: dict[str, float] = field(default_factory=dict)
    drift_per_min: dict[str, float] = field(default_factory=dict)
    limit: dict[str, float] = field(default_factory=dict)  # where a drift stops

    def values(self, minutes: float, rng: random.Random) -> dict[str, float]:
        out = {}
        for kind, base in self.baseline.items():
            rate = self.drift_per_min.get(kind, 0.0)
            value = base + rate * minutes
            if kind in self.limit and rate:
                value = min(value, self.limit[kind]) if rate > 0 else max(value, self.limit[kind])
            value += rng.gauss(0, self.noise.get(kind, 0.0))
            out[kind] = round(value, 1 if kind == "temperature" else 0)
        if "spo2" in out:
            out["spo2"] = min(out["spo2"], 100)
        return out


NORMAL = {"heart_rate": 74, "spo2": 97.5, "temperature": 36.8, "systolic": 122, "diastolic": 78,
          "respiratory_rate": 15}
NOISE = {"heart_rate": 2.5, "spo2": 0.6, "temperature": 0.08, "systolic": 3, "diastolic": 2, "respiratory_rate": 0.8}
PROFILES: dict[str, Profile] = {
    "stable": Profile(NORMAL, NOISE),
    "hypertensive": Profile({**NORMAL, "systolic": 152, "diastolic": 96, "heart_rate": 82}, NOISE),
    # reaches NEWS2 "high" in about half an hour: HR 125, RR 26, SpO2 90, 38.9 °C, systolic 98
    "deteriorating": Profile(NORMAL, NOISE,
                             drift_per_min={"heart_rate": 1.7, "respiratory_rate": 0.37, "spo2": -0.25,
                                            "temperature": 0.07, "systolic": -0.8, "diastolic": -0.4},
                             limit={"heart_rate": 125, "respiratory_rate": 26, "spo2": 90, "temperature": 38.9,
                                    "systolic": 98, "diastolic": 60}),
}
DEMO_ASSIGNMENTS: dict[str, str] = {"patient.ba": "deteriorating", "patient.gueye": "stable",
                                    "patient.sarr": "hypertensive"}


def demo_mac(username: str) -> str:
    digest = hashlib.sha256(username.encode()).hexdigest()[:10].upper()
    return "02:" + ":".join(digest[i:i + 2] for i in range(0, 10, 2))  # locally administered


class Simulator:
    def __init__(self, db: Database, clock: Clock, registry: Devices, ingest: Ingest, links: DeviceLinks,
                 assignments: dict[str, str | Profile] | None = None, interval: float = 5.0,
                 seed: int | None = None) -> None:
        self.db, self.clock, self.registry, self.ingest, self.links = db, clock, registry, ingest, links
        self.interval = interval
        self.assignments = assignments if assignments is not None else DEMO_ASSIGNMENTS
        self.rng = random.Random(seed)
        self.devices: list[tuple[dict, Profile]] = []

    async def provision(self) -> list[tuple[dict, Profile]]:
        """One device per assigned patient, created once (ids `demo-<username>`)."""
        db, registry = self.db, self.registry
        self.devices = []
        for username, profile in self.assignments.items():
            user = await db["users"].find_one({"username_lower": username.lower(), "role": "patient"})
            if user is None:
                log.warning("simulator: no patient %s", username)
                continue
            device_id = "demo-" + username.replace(".", "-")
            device = await db["devices"].find_one({"_id": device_id})
            if device is None:
                device, _ = await registry.create(DeviceCreateIn(
                    device_id=device_id, name=f"Simulated monitor ({username})", type="multi_sensor",
                    mac=demo_mac(username), patient_id=user["_id"], firmware_version="sim-1.0"))
            self.devices.append((device, PROFILES[profile] if isinstance(profile, str) else profile))
        return self.devices

    async def run(self) -> None:
        """Every `interval` seconds, one reading set per device (a heartbeat every 12th), until cancelled."""
        started = self.clock.now()
        seq = int(started.timestamp())  # a restarted simulator never reuses a stored seq
        tick = 0

        async def step() -> None:
            nonlocal seq, tick
            minutes = (self.clock.now() - started).total_seconds() / 60
            seq += 1
            await asyncio.gather(*(self._send(device, profile, seq, minutes, tick) for device, profile in self.devices))
            tick += 1

        await every("device-simulator", self.interval, step, first_now=True)

    async def _send(self, device: dict, profile: Profile, seq: int, minutes: float, tick: int) -> None:
        try:
            result = await self.ingest.submit(device, {"seq": seq, "readings": profile.values(minutes, self.rng)},
                                                   "simulator")
            if result["status"] == "rejected":
                log.warning("simulated reading rejected: %s", result["reason"])
            if tick % 12 == 0:
                battery = max(5.0, 100.0 - minutes / 30)
                await self.links.heartbeat(device, HeartbeatIn(battery=round(battery, 1), rssi=-58,
                                                                           uptime=int(minutes * 60)), "simulator")
        except Exception:
            log.exception("simulator send for %s failed", device["_id"])
