"""Late data: what a replayed buffer says about the past, never a claim about now.

A reading is *late* when it reached the server more than LATE_READING_S after it was measured
(`received_at - ts`; Ingest sets `ts` to the receive time when the device clock is suspect, so such
a reading is never late). Late readings are stored and charted at their measurement time, and
become the latest value only if nothing newer is known; but they never step the live rule states
and never count in NEWS2 now (server/alerting/news2_service.py): a monitor that was offline for two
hours and replays "HR 135, SpO2 90, T 39.4, SBP 88, RR 27" says how the patient *was*, not how the
patient is, and an emergency alert "now" would send a team for a state nobody has seen for two hours
while hiding that there is no current data at all.

What they do: per patient, the late readings stored around the period the late batches cover
(± the NEWS2 window, by measurement time, so a buffer posted in several requests or out of order is
seen whole) are replayed through fresh copies of the same rules and of NEWS2, with the same
durations, `min_readings`, gaps and window, all judged on measurement time. What the rules and NEWS2
find is grouped as the live episode groups it (server/alerting/episodes.py): findings whose measured
periods overlap or lie within their rules' `max_gap_s` are one clinical event, one *retrospective*
alert (`clinical_episodes`): `retrospective: true, measured_from, measured_to`, its `causes` (each
ended, with its own measured period), its severity the worst of them, stored closed in the group
"retrospective" (`cleared_unacknowledged`, `clear_reason: "retrospective"`) so it never blocks nor
joins the live episode; announced once (live and inbox) and acknowledged like any alert, never
escalated and never marked stale. A later evaluation that finds the same event extends it (period,
causes, severity) instead of raising another.

The evaluation is deferred to the alert tick (`run_due`, every ALERT_TICK_S): the late batches of a
patient that arrive meanwhile are merged into one period, so a buffer replayed one message at a time
costs one evaluation per tick, not one per message (an evaluation over 30 min of 1 Hz readings takes
about a second of CPU on the 2-core machine). Pending periods are kept in memory: a process that stops
within a tick of a late batch does not evaluate it (the readings themselves are stored).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from server.alerting import causes as C
from server.alerting import rule_state
from server.alerting.dispatch import AlertDispatch
from server.alerting.news2_service import News2Service
from server.alerting.rules import NEWS2_LEVEL, NEWS2_RULE, Rule, rank
from server.alerting.store import Alerts

log = logging.getLogger(__name__)
# iot's VitalsHistory.readings: (patient, {"$gte": a, "$lte": b} on ts) → stored readings
MeasuredReadings = Callable[[str, dict], Awaitable[list[dict]]]
RELEASE = {"raised": "raised", "rose": "severity_rose", "cause_added": "cause_added", "extended": "repeat"}


def episodes(rule: Rule, points: list[tuple[datetime, float]]) -> list[dict[str, Any]]:
    """The periods in which `rule` would have fired over `points` (measurement time, value), in time
    order, each {severity (the worst), value (the worst), measured_from (first breaching reading of the
    run that fired), measured_to (last breaching reading while it was active)}."""
    out: list[dict[str, Any]] = []
    state, current, start, prev = None, None, None, None
    worse = min if rule.direction == "low" else max
    for at, value in points:
        breach = any(rule.breached(b, value) for b in rule.bands)
        if prev is not None and (at - prev).total_seconds() > rule.max_gap_s:
            start = None  # a silence restarts the count, as in rule_state.step
        prev = at
        if breach and start is None:
            start = at
        state, _ = rule_state.step(rule, state, value, at)
        severity = state["severity"]
        if severity is not None:
            if current is None:
                current = {"severity": severity, "value": value, "measured_from": start or at, "measured_to": at}
            if rank(severity) > rank(current["severity"]):
                current["severity"] = severity
            if breach:
                current["value"], current["measured_to"] = worse(current["value"], value), at
        elif current is not None:
            out.append(current)
            current = None
        if not breach:
            start = None
    if current is not None:
        out.append(current)
    return out


class Retrospective:
    def __init__(self, news2: News2Service, alerts: Alerts, dispatch: AlertDispatch,
                 measured: MeasuredReadings, settings: Callable[[str], Awaitable[tuple[list[Rule], int]]]) -> None:
        self.news2, self.alerts, self.dispatch, self.measured = news2, alerts, dispatch, measured
        self.settings = settings  # patient → (effective rules, SpO2 scale)
        self.pending: dict[str, tuple[datetime, datetime]] = {}  # patient → measured period to evaluate
        self.raised = self.failed = 0

    def add(self, patient_id: str, late: list[dict]) -> None:
        """Note a committed batch of late readings; `run_due` evaluates them."""
        lo, hi = min(m["ts"] for m in late), max(m["ts"] for m in late)
        if patient_id in self.pending:
            was = self.pending[patient_id]
            lo, hi = min(lo, was[0]), max(hi, was[1])
        self.pending[patient_id] = (lo, hi)

    async def run_due(self) -> int:
        """Evaluate every pending period (the alert tick); returns how many patients."""
        done = 0
        while self.pending:
            patient_id, (lo, hi) = self.pending.popitem()
            try:
                rules, scale = await self.settings(patient_id)
                await self.evaluate(patient_id, lo, hi, rules, scale)
            except Exception:  # one patient's failure must not starve the others
                log.exception("retrospective evaluation failed for patient %s", patient_id)
                self.failed += 1
            done += 1
        return done

    async def evaluate(self, patient_id: str, lo: datetime, hi: datetime, rules: list[Rule], scale: int) -> None:
        """Replay the stored late readings measured around [lo, hi] and record what fired."""
        margin = timedelta(seconds=self.news2.window_s)
        span = {"$gte": lo - margin, "$lte": hi + margin}
        msgs = sorted((m for m in await self.measured(patient_id, span) if self.news2.is_late(m)),
                      key=lambda m: (m["ts"], m["_id"]))
        found: list[dict[str, Any]] = []
        for rule in rules:
            points = [(m["ts"], float(r["value"])) for m in msgs
                      for r in [(m.get("readings") or {}).get(rule.kind)] if r and r.get("value") is not None]
            for ep in episodes(rule, points):
                found.append({**ep, "gap_s": rule.max_gap_s,
                              "causes": [C.rule_cause(rule, ep["severity"], ep["value"])]})
        levels, scores = [], {}
        inputs: dict[str, dict[str, Any]] = {}
        for m in msgs:
            inputs = self.news2.overlay(inputs, m)
            result = self.news2.score(inputs, scale, now=m["ts"])
            levels.append((m["ts"], float(NEWS2_LEVEL[result["alert_severity"]])))
            scores[m["ts"]] = result
        for ep in episodes(NEWS2_RULE, levels):
            worst = max((scores[t] for t, _ in levels if ep["measured_from"] <= t <= ep["measured_to"]),
                        key=lambda r: r["score"])
            found.append({**ep, "value": worst["score"], "gap_s": NEWS2_RULE.max_gap_s,
                          "causes": C.news2_causes(worst, ep["severity"]),
                          "news2": {k: worst[k] for k in ("score", "partial", "missing", "risk")}})
        for ep in clinical_episodes(found):
            await self._record(patient_id, ep)

    async def _record(self, patient_id: str, ep: dict) -> None:
        doc, outcome = await self.alerts.retrospective(patient_id, ep)
        if outcome == "raised":
            self.raised += 1
        if outcome in RELEASE:
            await self.dispatch.publish(doc, RELEASE[outcome])


def clinical_episodes(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold what each rule and NEWS2 found into clinical episodes, as the live alert does: periods that
    overlap (or are closer than the longer of their rules' `max_gap_s`) are one event, with every cause
    (each carrying its own measured period), its severity the worst of them."""
    out: list[dict[str, Any]] = []
    for f in sorted(found, key=lambda f: f["measured_from"]):
        causes = [{**c, "measured_from": f["measured_from"], "measured_to": f["measured_to"]} for c in f["causes"]]
        last = out[-1] if out else None
        if last is not None and f["measured_from"] <= last["measured_to"] + timedelta(seconds=max(f["gap_s"],
                                                                                                   last["gap_s"])):
            last["measured_to"] = max(last["measured_to"], f["measured_to"])
            last["gap_s"] = max(last["gap_s"], f["gap_s"])
            last["causes"] = C.merge_past(last["causes"], causes)[0]
            last["news2"] = f.get("news2") or last.get("news2")
        else:
            out.append({"measured_from": f["measured_from"], "measured_to": f["measured_to"], "gap_s": f["gap_s"],
                        "causes": C.merge_past([], causes)[0], "news2": f.get("news2")})
    for ep in out:
        lead = max(ep["causes"], key=lambda c: (rank(c["severity"]), -ep["causes"].index(c)))
        ep.update(severity=lead["severity"], type=C.type_of(lead), value=lead.get("total", lead["value"]),
                  kind=lead.get("reading", "news2"))
    return out

