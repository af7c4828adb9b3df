"""NEWS2 per patient: gather the recent readings, score them, keep the latest result.

Inputs measured within NEWS2_WINDOW_S of now (measurement time `ts`, which Ingest already set to
the receive time for a clock-suspect device; "now" is the server clock): device readings from
`vitals_latest` (kept by Ingest) overlaid with the batch being processed, plus the
observations devices cannot make, recorded by a clinician (`news2_observations`:
consciousness ACVPU, supplemental oxygen, and respiration rate when no device measures it).
Older inputs are listed as missing, never reused silently and never counted as 0. A reading
that arrived late (more than LATE_READING_S after it was measured) never counts as current, even
while it is inside the window: it is scored only retrospectively (server/alerting/retrospective.py).
The result is staged in server.storage.write_behind for `news2_latest/{patient_id}` (REST and the
unit summaries; this process reads its staged value through `overlay`). Observations are
cached for OBSERVATION_CACHE_S (one made in this process applies at once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from cachetools import TTLCache

from server.alerting import news2
from server.alerting.config import AlertConfig
from server.alerting.news2_live import News2Live
from server.clock import Clock
from server.storage.db import Database
from server.storage.write_behind import WriteBehind

LATEST, OBSERVATIONS = "news2_latest", "news2_observations"
MANUAL = ("consciousness", "supplemental_oxygen", "respiratory_rate")
OBSERVATION_CACHE_S = 5.0


class News2Service:
    def __init__(self, db: Database, clock: Clock, config: AlertConfig, derived: WriteBehind,
                 latest_vitals: Callable[[str], Awaitable[dict]], window_s: int, live: News2Live | None = None,
                 late_s: float | None = None) -> None:
        self.db, self.clock, self.config, self.derived = db, clock, config, derived
        self.live = live  # news2:updated when the score a clinician sees changes
        self.latest_vitals, self.window_s = latest_vitals, window_s
        self.late_s = late_s
        self._observations: TTLCache[str, dict] = TTLCache(maxsize=100_000, ttl=OBSERVATION_CACHE_S)

    async def inputs(self, patient_id: str) -> dict[str, dict[str, Any]]:
        """{parameter: {value, at, source}} from the latest values (not windowed yet)."""
        out: dict[str, dict[str, Any]] = {}
        for kind, r in (await self.latest_vitals(patient_id)).items():
            if kind in news2.DEVICE_KINDS and r.get("value") is not None and not self.is_late(r):
                out[kind] = {"value": r["value"], "at": r.get("ts") or r.get("received_at"),
                             "source": r.get("device_id")}
        manual = await self._observed(patient_id)
        for name in MANUAL:
            obs = manual.get(name)
            if obs and (name not in out or obs["at"] > out[name]["at"]):
                out[name] = {"value": obs["value"], "at": obs["at"], "source": f"user:{obs['by']}"}
        return out

    def is_late(self, reading: dict) -> bool:
        """Measured more than LATE_READING_S before it reached the server (a replayed buffer)."""
        ts, received = reading.get("ts"), reading.get("received_at")
        return (self.late_s is not None and ts is not None and received is not None
                and (received - ts).total_seconds() > self.late_s)

    @staticmethod
    def overlay(inputs: dict[str, dict[str, Any]], message: dict) -> dict[str, dict[str, Any]]:
        """The inputs with one stored message's readings on top when measured no earlier (by `ts`)."""
        out = dict(inputs)
        at = message.get("ts") or message.get("received_at")
        for kind, r in (message.get("readings") or {}).items():
            if kind in news2.DEVICE_KINDS and r.get("value") is not None:
                if kind not in out or out[kind]["at"] is None or out[kind]["at"] <= at:
                    out[kind] = {"value": r["value"], "at": at, "source": message.get("device_id")}
        return out

    def score(self, inputs: dict[str, dict[str, Any]], spo2_scale: int, now: datetime | None = None) -> dict:
        now = now or self.clock.now()
        since = now - timedelta(seconds=self.window_s)
        recent = {k: v for k, v in inputs.items() if v.get("at") is not None and v["at"] >= since}
        result = news2.score({k: v["value"] for k, v in recent.items()}, spo2_scale=spo2_scale).to_dict()
        for name, param in result["parameters"].items():
            param["at"], param["source"] = recent[name]["at"], recent[name]["source"]
        return {**result, "at": now, "window_s": self.window_s}

    async def compute(self, patient_id: str, store: bool = True) -> dict:
        result = self.score(await self.inputs(patient_id), await self.config.spo2_scale(patient_id))
        if store:
            await self.store(patient_id, result)
        return result

    async def _observed(self, patient_id: str) -> dict:
        doc = self._observations.get(patient_id)
        if doc is None:
            doc = self._observations[patient_id] = await self.db[OBSERVATIONS].find_one({"_id": patient_id}) or {}
        return doc

    async def store(self, patient_id: str, result: dict) -> None:
        self.derived.stage(LATEST, patient_id, {"$set": result})
        if self.live is not None:
            await self.live.publish(patient_id, result)

    async def latest(self, patient_id: str) -> dict | None:
        return self.derived.overlay(LATEST, patient_id, await self.db[LATEST].find_one({"_id": patient_id}))

    async def observe(self, patient_id: str, by: str, values: dict[str, Any]) -> dict:
        now = self.clock.now()
        change = {f"{k}": {"value": v, "at": now, "by": by} for k, v in values.items() if v is not None}
        if change:
            await self.db[OBSERVATIONS].update_one({"_id": patient_id}, {"$set": change}, upsert=True)
            self._observations.pop(patient_id, None)
        return await self.compute(patient_id)
