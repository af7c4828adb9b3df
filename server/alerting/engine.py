"""The alert engine: stored vitals → threshold rules and NEWS2 → alerts → people.

Ingest calls `on_messages(messages)` after each durable group commit. Per patient, the
engine loads the effective rules (defaults + overrides), their persisted states
(`alert_states/{patient_id}`, so a restart or another process continues where this one
stopped; cached here while this process feeds the patient), runs every message through
`rule_state.step` in time order, recomputes NEWS2 after each message, stages the changed
states and the latest NEWS2 behind the acknowledgement (server.storage.write_behind), and turns
transitions into alert upserts and notifications, which are written at once. A reading's
time is its measurement time `ts` (Ingest puts the server's `received_at` there when the device
clock is suspect), so durations are judged on when the patient was measured, not when the data
arrived. Late readings (measured more than LATE_READING_S before they arrived: a replayed buffer)
never step the live states nor count in NEWS2 now; server/alerting/retrospective.py replays them
into retrospective alerts instead.

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

from server.alerting import causes, rule_state
from server.alerting.config import AlertConfig
from server.alerting.device_alerts import DeviceAlerts
from server.alerting.dispatch import AlertDispatch
from server.alerting.episodes import Episodes
from server.alerting.escalation import Escalation
from server.alerting.news2_live import News2Live
from server.alerting.news2_service import News2Service
from server.alerting.retrospective import MeasuredReadings, Retrospective
from server.alerting.rules import NEWS2_LEVEL, NEWS2_RULE, Rule, effective_rules
from server.alerting.store import Alerts
from server.alerting.unit_summary import UnitSummaries
from server.clock import Clock
from server.inbox.notifier import Notifier
from server.iot.presence import SeenHere
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
                 latest: LatestReadings, notifier: Notifier, alerts: Alerts,
                 measured: MeasuredReadings | None = None, seen_here: SeenHere | None = None) -> None:
        self.db, self.clock = db, clock
        self.alerts = alerts
        self.derived = derived
        self.config = AlertConfig(db, clock)
        self.news2 = News2Service(db, clock, self.config, derived, latest, settings.news2_window_s,
                                  live=News2Live(db, notifier), late_s=settings.late_reading_s)
        self.dispatch = AlertDispatch(db, clock, notifier, alerts)
        self.retrospective = (Retrospective(self.news2, alerts, self.dispatch, measured, self._rules)
                              if measured else None)
        self.devices = DeviceAlerts(db, clock, settings, alerts, self.dispatch, seen_here)
        self.escalation = Escalation(alerts, self.dispatch, clock, settings)
        self.units = UnitSummaries(db, clock, settings, notifier, alerts, seen_here)
        self._states: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=100_000, ttl=STATE_CACHE_S)
        self.episodes = Episodes(alerts, clock)
        self._open: dict[str, tuple[str, Any]] = {}  # patient → (open episode id, checked at)
        self._news2_seen: dict[str, tuple] = {}  # patient → NEWS2 causes last written (a change is a write)
        self._lock = asyncio.Lock()
        self.raised = 0  # alerts raised by this process (the long-run check counts them)

    async def on_messages(self, messages: list[dict]) -> None:
        by_patient: dict[str, list[dict]] = defaultdict(list)
        for msg in messages:
            if msg.get("patient_id"):
                by_patient[msg["patient_id"]].append(msg)
        async with self._lock:
            for patient_id, msgs in by_patient.items():
                live = [m for m in msgs if not self.news2.is_late(m)]
                late = [m for m in msgs if self.news2.is_late(m)]
                try:
                    if late and self.retrospective is not None:
                        self.retrospective.add(patient_id, late)
                    if live:
                        await self._patient(patient_id, sorted(live, key=reading_time))
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
            fired: list[tuple[Rule, rule_state.Transition]] = []
            for kind, reading in (msg.get("readings") or {}).items():
                value = reading.get("value") if isinstance(reading, dict) else None
                if value is None:
                    continue
                for rule in by_kind.get(kind, ()):
                    states[rule.key], tr = rule_state.step(rule, states.get(rule.key), float(value), at)
                    if tr:
                        fired.append((rule, tr))
            inputs = self.news2.overlay(inputs, msg)
            result = self.news2.score(inputs, scale, now=msg["received_at"])
            level = NEWS2_LEVEL[result["alert_severity"]]
            states["news2"], tr = rule_state.step(NEWS2_RULE, states.get("news2"), level, at)
            if tr:
                fired.append((NEWS2_RULE, tr))
            if fired and not await self._apply(patient_id, fired, result):
                for rule, _ in fired:  # the episode was closed by hand (maybe elsewhere): persist again
                    states[rule.key] = rule_state.reset(rule)
        changed = {f"states.{key}": state for key, state in states.items() if stored.get(key) != state}
        if changed:
            self.derived.stage(STATES, patient_id, {"$set": changed})
        self._states[patient_id] = states
        if result is not None:  # last: a failed `news2:updated` must not lose the rule states (persist, then emit)
            await self.news2.store(patient_id, result)

    async def _rules(self, patient_id: str) -> tuple[list[Rule], int]:
        config = await self.config.get(patient_id)
        scale = config.get("spo2_scale", 1)
        return effective_rules(config.get("overrides"), scale), scale

    async def retrospective_due(self) -> int:
        """The alert tick: evaluate the late readings noted since the last one."""
        if self.retrospective is None:
            return 0
        async with self._lock:
            return await self.retrospective.run_due()

    async def _stored_states(self, patient_id: str) -> dict[str, Any]:
        cached = self._states.get(patient_id)
        if cached is not None:
            return cached
        doc = self.derived.overlay(STATES, patient_id, await self.db[STATES].find_one({"_id": patient_id}))
        return dict((doc or {}).get("states") or {})

    async def _apply(self, patient_id: str, fired: list[tuple[Rule, rule_state.Transition]], news: dict) -> bool:
        """Turn one message's rule transitions into the patient's episode (server/alerting/episodes.py);
        False when only repeats came and the episode was found closed (by hand, maybe in another process):
        those rules then start over, as after a manual clear here."""
        upserts: list[dict] = []
        cleared: list[str] = []
        scope, data, may_open = None, {}, False
        value = fired[0][1].value
        for rule, tr in fired:
            if rule is NEWS2_RULE:
                data = {"news2": {k: news[k] for k in ("score", "partial", "missing", "risk")}}
                value = news["score"] if len(fired) == 1 else value
                if tr.action == "clear":
                    scope = causes.NEWS2_SCOPE  # no NEWS2 cause upserted: the scope ends every one of them
                    cleared.append(causes.NEWS2_SCOPE)
                    continue
                found = causes.news2_causes(news, tr.severity)
                if tr.action != "repeat" or causes.signature(found) != self._news2_seen.get(patient_id):
                    upserts += found
                    scope = causes.NEWS2_SCOPE
                    self._news2_seen[patient_id] = causes.signature(found)
            elif tr.action == "clear":
                cleared.append(f"rule:{rule.key}")
            elif tr.action != "repeat":
                upserts.append(causes.rule_cause(rule, tr.severity, tr.value))
            may_open = may_open or tr.action in ("raise", "rise")
        if not upserts and not cleared:
            return await self._repeat(patient_id, value, data)
        known = self._open.get(patient_id)
        if known is not None and self.derived.pending(self.alerts.coll.name, known[0]):
            await self.derived.flush()  # staged repeats land before this change, not over it
        doc, change, notify = await self.episodes.change(patient_id, upserts=upserts, cleared=cleared, scope=scope,
                                                         value=value, data=data, may_open=may_open)
        if doc is None or not doc["open"]:
            self._open.pop(patient_id, None)
            self._news2_seen.pop(patient_id, None)
        else:
            self._open[patient_id] = (doc["_id"], self.clock.now())
        if change == "raised":
            self.raised += 1
            # The alert id, never the patient id, beside a condition and a value (the alert links them).
            log.info("alert %s raised: %s %s (%s)", doc["_id"], doc["type"], doc["severity"], value)
        if change is not None:
            await self.dispatch.publish(doc, change, notify=notify)
        elif doc is not None and any(tr.action == "repeat" for _, tr in fired):
            return await self._repeat(patient_id, value, data)
        return True

    async def _repeat(self, patient_id: str, value: Any, data: dict) -> bool:
        now = self.clock.now()
        known = self._open.get(patient_id)
        if known is None or (now - known[1]).total_seconds() >= REPEAT_CHECK_S:
            doc = await self.alerts.open_episode(patient_id)
            if doc is None:
                self._open.pop(patient_id, None)
                return False
            known = self._open[patient_id] = (doc["_id"], now)
            # The live `alert:updated` (itself at most one per alert per REPEAT_EVERY_S) shows this reading.
            await self.dispatch.publish({**doc, "last_value": value, "last_at": now, "count": doc.get("count", 0) + 1},
                                        "repeat")
        self.derived.stage(self.alerts.coll.name, known[0], self.alerts.episode_repeat(value, data),
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
        keys = [c["rule"] if c["kind"] == "rule" else "news2" for c in doc.get("causes") or []]
        await self.reset_rules(doc["patient_id"], list(dict.fromkeys(keys)) or [doc["type"]])
        await self.dispatch.publish(doc, "cleared")
        return doc

    async def reset_rules(self, patient_id: str, keys: list[str]) -> None:
        """After a manual clear every cause's breach must persist again before an alert returns."""
        async with self._lock:
            cached = self._states.get(patient_id)
            for key in keys:
                if cached is not None:
                    cached.pop(key, None)
            self._open.pop(patient_id, None)
            self._news2_seen.pop(patient_id, None)
            self.derived.stage(STATES, patient_id, {"$unset": {f"states.{key}": "" for key in keys}})
        await self.derived.flush()

    async def on_device_event(self, event: dict) -> None:
        async with self._lock:
            await self.devices.on_event(event)
