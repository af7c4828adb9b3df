"""The demo's alerting story: a ward, and a patient who deteriorates, is treated and recovers, in a loop.

`EPISODE` is a drop-in for a simulator `Profile` (it has the same `values(minutes, rng)`): over
a 30-minute cycle patient.ba is stable (0–1 min), deteriorates (1–7 min) to NEWS2 ≈ 12 (HR 128,
RR 26, SpO2 87 %, 39.2 °C, systolic 96), stays there (7–17 min: long enough for the `critical`
and `emergency` alerts to escalate when nobody acknowledges them, after 5 and 1 min), recovers
with treatment (17–21 min), and stays well until the cycle restarts (alerts clear after their
hysteresis time). The other demo patients keep their stable profiles and should raise nothing.

`seed_ward` puts the three demo patients in "Ward A" with dr.fall as staff and senior (dr.fall sees
them through the unit and is paged first, the ward having no rota; dr.diop, without a grant, hears
only the last level of escalation, every doctor, with the minimal message).
"""

from __future__ import annotations

import logging
import random

from pymongo.errors import DuplicateKeyError

from models.common import new_id
from models.documents import CARE_UNITS as UNITS
from server.clock import Clock
from server.demo.simulator import NOISE, NORMAL
from server.storage.db import Database

log = logging.getLogger(__name__)

PEAK = {"heart_rate": 128, "spo2": 87, "temperature": 39.2, "systolic": 96, "diastolic": 58, "respiratory_rate": 26}
CYCLE_MIN = 30.0
# (start minute, end minute, fraction of the way from NORMAL to PEAK at start, at end)
PHASES = ((0, 1, 0.0, 0.0), (1, 7, 0.0, 1.0), (7, 17, 1.0, 1.0), (17, 21, 1.0, 0.0), (21, CYCLE_MIN, 0.0, 0.0))
WARD = {"name": "Ward A", "kind": "ward", "patients": ("patient.ba", "patient.gueye", "patient.sarr"),
        "staff": ("dr.fall",)}


class Episode:
    """Deterioration, plateau, recovery: a simulator profile driven by the cycle above."""

    def __init__(self, normal: dict[str, float] | None = None, peak: dict[str, float] | None = None) -> None:
        self.normal, self.peak = normal or NORMAL, peak or PEAK

    @staticmethod
    def severity(minutes: float) -> float:
        t = minutes % CYCLE_MIN
        for start, end, a, b in PHASES:
            if start <= t < end:
                return a + (b - a) * (t - start) / (end - start)
        return 0.0

    def values(self, minutes: float, rng: random.Random) -> dict[str, float]:
        f = self.severity(minutes)
        out = {}
        for kind, base in self.normal.items():
            value = base + (self.peak.get(kind, base) - base) * f + rng.gauss(0, NOISE.get(kind, 0.0))
            out[kind] = round(value, 1 if kind == "temperature" else 0)
        out["spo2"] = min(out["spo2"], 100)
        return out


EPISODE = Episode()


async def seed_ward(db: Database, clock: Clock) -> dict | None:
    """Create Ward A once with the demo patients and dr.fall (idempotent)."""
    users = {u["username"]: u["_id"] for u in await db["users"].find(
        {"username": {"$in": [*WARD["patients"], *WARD["staff"]]}}, {"username": 1}).to_list(None)}
    doc = {"_id": new_id(), "name": WARD["name"], "name_lower": WARD["name"].lower(), "kind": WARD["kind"],
           "staff_ids": [users[u] for u in WARD["staff"] if u in users],
           "senior_ids": [users[u] for u in WARD["staff"] if u in users],
           "patient_ids": [users[u] for u in WARD["patients"] if u in users],
           "created_by": None, "created_at": clock.now()}
    try:
        await db[UNITS].insert_one(doc)
    except DuplicateKeyError:
        return await db[UNITS].find_one({"name_lower": doc["name_lower"]})
    log.info("demo care unit %s created", WARD["name"])
    return doc
