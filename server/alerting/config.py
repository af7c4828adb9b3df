"""Per-patient alert configuration: rule overrides and the NEWS2 SpO2 scale, every change audited.

A doctor with access to the patient's vitals (grant or care unit) changes them; the patient
may read them. The document `alert_configs/{patient_id}` holds `overrides`
(`{rule_key: {bands?, enabled?, duration_s?, min_readings?, clear_after_s?, hysteresis?,
max_gap_s?}}`, None removes an override) and `spo2_scale` (2 for hypercapnic respiratory
failure, as recorded by the clinician). Each change appends `{before, after, by, at}` to
`alert_config_audit`; the audit is never rewritten.

The engine reads a patient's configuration at every batch, so it is cached for CACHE_S: a
change made in this process applies at once, one made in another process within CACHE_S.
"""

from __future__ import annotations

import logging
from typing import Any

from cachetools import TTLCache
from pymongo import IndexModel

from models.common import new_id
from models.errors import Invalid
from server.alerting.rules import DEFAULTS, Band, Rule, effective_rules, validate_bands
from server.clock import Clock
from server.storage.db import Database

log = logging.getLogger(__name__)

CONFIGS, AUDIT = "alert_configs", "alert_config_audit"
CACHE_S = 5.0


class AlertConfig:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        db.declare(AUDIT, IndexModel([("patient_id", 1), ("at", -1)]))
        self._cache: TTLCache[str, dict] = TTLCache(maxsize=100_000, ttl=CACHE_S)

    async def get(self, patient_id: str) -> dict[str, Any]:
        doc = self._cache.get(patient_id)
        if doc is None:
            doc = await self.db[CONFIGS].find_one({"_id": patient_id}) or {}
            self._cache[patient_id] = doc
        return doc or {"_id": patient_id, "overrides": {}, "spo2_scale": 1, "updated_by": None, "updated_at": None}

    async def rules_for(self, patient_id: str) -> list[Rule]:
        doc = await self.get(patient_id)
        return effective_rules(doc.get("overrides"), doc.get("spo2_scale", 1))

    async def spo2_scale(self, patient_id: str) -> int:
        return (await self.get(patient_id)).get("spo2_scale", 1)

    async def update(self, patient_id: str, actor_id: str, *, overrides: dict[str, dict | None] | None,
                     spo2_scale: int | None, reason: str | None = None) -> dict[str, Any]:
        before = await self.get(patient_id)
        merged = dict(before.get("overrides") or {})
        for key, change in (overrides or {}).items():
            if key not in DEFAULTS:
                raise Invalid(f"Unknown rule {key!r}", code="unknown_rule",
                              details=[{"field": f"overrides.{key}", "message": f"one of {', '.join(DEFAULTS)}"}])
            if change is None:
                merged.pop(key, None)
                continue
            if change.get("bands"):
                try:
                    validate_bands(DEFAULTS[key].direction,
                                   [Band(b["severity"], float(b["threshold"])) for b in change["bands"]])
                except ValueError as exc:
                    raise Invalid(str(exc), code="invalid_bands",
                                  details=[{"field": f"overrides.{key}.bands", "message": str(exc)}]) from None
            merged[key] = {k: v for k, v in change.items() if v is not None}
        after = {"_id": patient_id, "overrides": merged,
                 "spo2_scale": spo2_scale if spo2_scale is not None else before.get("spo2_scale", 1),
                 "updated_by": actor_id, "updated_at": self.clock.now()}
        await self.db[CONFIGS].replace_one({"_id": patient_id}, after, upsert=True)
        self._cache.pop(patient_id, None)
        # The audit is written after the change; a crash in between loses one audit line, never a change
        # without one being attempted. Both carry the same timestamp for matching.
        await self.db[AUDIT].insert_one({
            "_id": new_id(), "patient_id": patient_id, "by": actor_id, "at": after["updated_at"], "reason": reason,
            "before": {"overrides": before.get("overrides") or {}, "spo2_scale": before.get("spo2_scale", 1)},
            "after": {"overrides": merged, "spo2_scale": after["spo2_scale"]}})
        log.info("alert config of %s changed by %s", patient_id, actor_id)
        return after

    async def audit(self, patient_id: str, limit: int = 200) -> list[dict]:
        docs = await self.db[AUDIT].find({"patient_id": patient_id}).to_list(None)
        docs.sort(key=lambda d: d["at"], reverse=True)
        return docs[:limit]
