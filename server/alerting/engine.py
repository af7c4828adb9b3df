"""The alert engine: stored vitals → threshold rules and NEWS2 → alerts → people.

Ingest calls `on_messages(messages)` after each durable group commit. Per patient, the
engine loads the effective rules (defaults + overrides), their persisted states
(`alert_states/{patient_id}`, so a restart or another process continues where this one
stopped; cached here while this process feeds the patient), runs every message through
`rule_state.step` in time order, recomputes NEWS2 after each message, stages the changed
states and the latest NEWS2 behind the acknowledgement (server.storage.write_behind), and turns
transitions into alert upserts and notifications, which are written at once. A reading's
time is the device's `ts` unless Ingest flagged the device clock as suspect, then the
server's `received_at`.

One asyncio.Lock serialises batches in this process; across processes a patient's device
normally talks to one process, and the alert itself is protected by the unique index.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache

from server.alerting import rule_state
from server.alerting.config import AlertConfig
from server.alerting.device_alerts import DeviceAlerts
from server.alerting.dispatch import AlertDispatch
from server.alerting.escalation import Escalation
from server.alerting.news2_service import News2Service
from server.alerting.rules import NEWS2_LEVEL, NEWS2_RULE, Rule, effective_rules
from server.alerting.store import Alerts
from server.alerting.unit_summary import UnitSummaries
from server.clock import Clock
from server.inbox.notifier import Notifier
from server.settings import Settings
from server.storage.db import Database
from server.storage.write_behind import WriteBehind

log = logging.getLogger(__name__)

STATES = "alert_states"
# A patient's cached rule states are re-read after this long without a batch here: another
# process may have fed the patient meanwhile (its device reconnected elsewhere).
STATE_CACHE_S = 30.0
# A breach that goes on is folded into its open alert behind the acknowledgement (write_behind:
# one statement per flush instead of one per batch, which was most of the database's work), and
# whether that alert is still open (a clinician may have cleared it, in any process) is checked
# this often, by the server clock.
REPEAT_CHECK_S = 5.0


LatestReadings = Callable[[str], Awaitable[dict]]  # iot's Ingest.latest: patient → kind → latest reading


def reading_time(msg: dict):
    return msg["received_at"] if msg.get("clock_suspect") or msg.get("ts") is None else msg["ts"]


class AlertEngine:
    def __init__(self, db: Database, clock: Clock, settings: Settings, derived: WriteBehind,
                 latest: LatestReadings, notifier: Notifier, alerts: Alerts) -> None:
        self.db, self.clock = db, clock
        self.alerts = alerts
        self.derived = derived
        self.config = AlertConfig(db, clock)
        self.news2 = News2Service(db, clock, self.config, derived, latest, settings.news2_window_s)
        self.dispatch = AlertDispatch(db, clock, notifier, alerts)
        self.devices = DeviceAlerts(db, clock, settings, alerts, self.dispatch)
        self.escalation = Escalation(alerts, self.dispatch, clock, settings)
        self.units = UnitSummaries(db, clock, settings, notifier, alerts)
        self._states: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=100_000, ttl=STATE_CACHE_S)
        self._open: dict[tuple[str, str], tuple[str, Any]] = {}  # (patient, rule) → (alert id, checked at)
        self._lock = asyncio.Lock()
        self.raised = 0  # alerts raised by this process (the long-run check counts them)

    async def on_messages(self, messages: list[dict]) -> None:
        by_patient: dict[str, list[dict]] = defaultdict(list)
        for msg in messages:
            if msg.get("patient_id"):
                by_patient[msg["patient_id"]].append(msg)
        async with self._lock:
            for patient_id, msgs in by_patient.items():
                try:
                    await self._patient(patient_id, sorted(msgs, key=reading_time))
                except Exception:  # one patient's failure must not starve the others
                    log.exception("alert evaluation of %d reading set(s) failed", len(msgs))
            await self.devices.data_resumed(messages)

    async def _patient(self, patient_id: str, msgs: list[dict]) -> None:
        config = await self.config.get(patient_id)
        scale = config.get("spo2_scale", 1)
        rules = [*effective_rules(config.get("overrides"), scale), NEWS2_RULE]
        stored = await self._stored_states(patient_id)
        states: dict[str, Any] = dict(stored)
        inputs = await self.news2.inputs(patient_id)
        by_kind: dict[str, list[Rule]] = defaultdict(list)
        for rule in rules:
            by_kind[rule.kind].append(rule)
        result = None
        for msg in msgs:
            at = reading_time(msg)
            for kind, reading in (msg.get("readings") or {}).items():
                value = reading.get("value") if isinstance(reading, dict) else None
                if value is None:
                    continue
                for rule in by_kind.get(kind, ()):
                    states[rule.key], tr = rule_state.step(rule, states.get(rule.key), float(value), at)
                    if tr and not await self._apply(patient_id, rule, tr, value, kind, {}):
                        states[rule.key] = rule_state.reset(rule)
            inputs = self.news2.overlay(inputs, msg)
            result = self.news2.score(inputs, scale, now=msg["received_at"])
            level = NEWS2_LEVEL[result["alert_severity"]]
            states["news2"], tr = rule_state.step(NEWS2_RULE, states.get("news2"), level, at)
            if tr:
                data = {"score": result["score"], "partial": result["partial"], "missing": result["missing"],
                        "risk": result["risk"]}
                if not await self._apply(patient_id, NEWS2_RULE, tr, result["score"], "news2", data):
                    states["news2"] = rule_state.reset(NEWS2_RULE)
        if result is not None:
            await self.news2.store(patient_id, result)
        changed = {f"states.{key}": state for key, state in states.items() if stored.get(key) != state}
        if changed:
            self.derived.stage(STATES, patient_id, {"$set": changed})
        self._states[patient_id] = states

    async def _stored_states(self, patient_id: str) -> dict[str, Any]:
        cached = self._states.get(patient_id)
        if cached is not None:
            return cached
        doc = self.derived.overlay(STATES, patient_id, await self.db[STATES].find_one({"_id": patient_id}))
        return dict((doc or {}).get("states") or {})

    async def _apply(self, patient_id: str, rule: Rule, tr: rule_state.Transition, value: Any, kind: str,
                     data: dict) -> bool:
        """Turn a rule's transition into the alert; False when a repeat found the alert closed (by hand,
        maybe in another process): the rule then starts over, as after a manual clear here."""
        category = "news2" if rule.key == "news2" else "threshold"
        known = self._open.get((patient_id, rule.key))
        if known is not None and tr.action != "repeat" and self.derived.pending(self.alerts.coll.name, known[0]):
            await self.derived.flush()  # staged repeats land before this change, not over it
        if tr.action == "clear":
            self._open.pop((patient_id, rule.key), None)
            doc = await self.alerts.clear_open(patient_id, rule.key, reason="auto")
            if doc is not None:
                await self.dispatch.publish(doc, "cleared")
            return True
        if tr.action == "repeat":
            return await self._repeat(patient_id, rule.key, value, category, data)
        doc, outcome = await self.alerts.upsert(patient_id=patient_id, type=rule.key, severity=tr.severity,
                                                value=value, category=category, kind=kind, data=data)
        if outcome == "raised":
            self.raised += 1
            # The alert id, never the patient id, beside a condition and a value (the alert links them).
            log.info("alert %s raised: %s %s (%s)", doc["_id"], rule.key, tr.severity, value)
        self._open[(patient_id, rule.key)] = (doc["_id"], self.clock.now())
        await self.dispatch.publish(doc, "severity_rose" if outcome == "rose" else outcome)
        return True

    async def _repeat(self, patient_id: str, key: str, value: Any, category: str, data: dict) -> bool:
        now = self.clock.now()
        known = self._open.get((patient_id, key))
        if known is None or (now - known[1]).total_seconds() >= REPEAT_CHECK_S:
            doc = await self.alerts.open_one(patient_id, key)
            if doc is None:
                self._open.pop((patient_id, key), None)
                return False
            known = self._open[(patient_id, key)] = (doc["_id"], now)
            # The live `alert:updated` (itself at most one per alert per REPEAT_EVERY_S) shows this reading.
            await self.dispatch.publish({**doc, "last_value": value, "last_at": now, "count": doc.get("count", 0) + 1},
                                        "repeat")
        self.derived.stage(self.alerts.coll.name, known[0], self.alerts.repeat_update(value, category, data),
                           only_if={"open": True})
        return True

    async def acknowledge(self, alert_id: str, user_id: str, comment: str | None) -> dict:
        """Acknowledge (stops escalation), then tell the audience: stored first, then announced."""
        doc = await self.alerts.acknowledge(alert_id, user_id, comment)
        await self.dispatch.publish(doc, "acknowledged")
        return doc

    async def clear(self, alert_id: str, user_id: str, comment: str | None) -> dict:
        """Clear by hand: the rule must persist again to re-raise; stored first, then announced."""
        doc = await self.alerts.clear(alert_id, by=user_id, reason="manual", comment=comment)
        await self.reset_rule(doc["patient_id"], doc["type"])
        await self.dispatch.publish(doc, "cleared")
        return doc

    async def reset_rule(self, patient_id: str, key: str) -> None:
        """After a manual clear the breach must persist again before the alert returns."""
        async with self._lock:
            cached = self._states.get(patient_id)
            if cached is not None:
                cached.pop(key, None)
            self._open.pop((patient_id, key), None)
            self.derived.stage(STATES, patient_id, {"$unset": {f"states.{key}": ""}})
        await self.derived.flush()

    async def on_device_event(self, event: dict) -> None:
        async with self._lock:
            await self.devices.on_event(event)
