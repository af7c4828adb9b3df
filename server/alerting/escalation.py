"""Escalation of alerts nobody acknowledged, along the on-call chain, exactly once across processes.

The schedule lives on the alert (`next_escalation_at`, set when it is raised or its severity
rises, from ALERT_ESCALATION_<SEVERITY>_S; None for severities that never escalate, and
reset to None by acknowledgement or clearing). Every ALERT_TICK_S each process runs
`run_once()`, which *claims* due alerts (server.jobs.claim_due, `find_one_and_update`): the claim
moves `next_escalation_at` forward in the same atomic write that bumps `escalation_level`,
records the level reached (`escalation_step`), pushes the history entry and the dispatch intent,
so whichever process wins, the alert escalates once per due time, and a process that restarts
finds the schedule where it was. Repeats come every max(severity delay,
ALERT_ESCALATION_MIN_REPEAT_S) until someone acknowledges: a bounded rate per alert; and a
pass claims at most MAX_PER_PASS alerts so a storm cannot monopolise the loop.

Each escalation goes one level further along the chain (rooms/duty.py): the patient's
responsible doctors, the on-call doctors of the patient's units now, the units' seniors, then
every active doctor; a level with nobody in it now is skipped (and the history says why: "rota
empty", "no senior", "no care unit"). Once at `all_doctors` it repeats there. The people
paged are those of every level reached so far (the responsible doctor keeps hearing about it
while it climbs), each with an `urgent` inbox item; a doctor with no relation to the patient
(only at `all_doctors`) gets the minimum (server/alerting/dispatch.py).

The schedule follows the alert's current severity: when an episode's severity falls
(server/alerting/episodes.py) it is recomputed from the lower severity's delay, and a severity
that never escalates (ALERT_ESCALATION_WARNING_S=0 by default) stops it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from rooms import duty
from server.alerting.dispatch import AlertDispatch
from server.alerting.store import Alerts
from server.clock import Clock
from server.settings import Settings

log = logging.getLogger(__name__)

MAX_PER_PASS = 100
SKIPPED = {"responsible": "no responsible doctor", "on_call": "rota empty", "senior": "no senior"}
REACHED = {"responsible": "paged the responsible doctor(s)", "on_call": "paged the on-call doctor(s)",
           "senior": "paged the unit's senior(s)", "all_doctors": "widened to all doctors"}


class Escalation:
    def __init__(self, alerts: Alerts, dispatch: AlertDispatch, clock: Clock, settings: Settings) -> None:
        self.alerts, self.dispatch, self.clock = alerts, dispatch, clock
        self.db = dispatch.db
        self.min_repeat = settings.alert_escalation_min_repeat_s

    def repeat_after(self, severity: str) -> float:
        return max(self.alerts.delays.get(severity, 0), self.min_repeat)

    async def next_step(self, alert: dict) -> tuple[dict, dict]:
        """(history entry, page) of the next level of the chain for this alert, now."""
        db, clock, pid = self.db, self.clock, alert["patient_id"]
        units = await duty.patient_units(db, pid)
        previous = alert.get("escalation_step")
        first = min(duty.LEVELS.index(previous) + 1, len(duty.LEVELS) - 1) if previous else 0
        skipped: list[str] = []
        reached, people = "all_doctors", []
        for level in duty.LEVELS[first:]:
            people = await duty.level_people(db, clock, level, pid, units)
            if people or level == "all_doctors":
                reached = level
                break
            skipped.append(level)
        paged = list(people)
        if reached != "all_doctors":  # the levels reached before keep hearing about it
            for level in duty.LEVELS[:duty.LEVELS.index(reached)]:
                paged += await duty.level_people(db, clock, level, pid, units)
        why = [SKIPPED[s] if (s != "on_call" or units) else "no care unit (no rota)" for s in skipped]
        if reached == "all_doctors" and previous == "all_doctors":
            reason = "still unacknowledged: all doctors again"
        elif reached == "all_doctors" and not why:
            reason = "rota exhausted: widened to all doctors"
        else:
            reason = f"{', '.join(why)}: {REACHED[reached]}" if why else REACHED[reached]
        unit_refs = [{"id": u["_id"], "name": u["name"]} for u in units]
        entry = {"at": clock.now(), "action": "escalated", "level": alert.get("escalation_level", 0) + 1,
                 "to": reached, "skipped": skipped, "reason": reason, "paged": len(set(paged))}
        if reached != "all_doctors":
            entry["targets"] = people
        return entry, {"to": reached, "people": list(dict.fromkeys(paged)), "units": unit_refs}

    def _claim(self, now):
        async def update(due: dict) -> dict:
            entry, page = await self.next_step(due)
            nxt = now + timedelta(seconds=self.repeat_after(due["severity"]))
            return {"$set": {"next_escalation_at": nxt, "escalated_at": now, "escalation_step": entry["to"]},
                    "$inc": {"escalation_level": 1, "rev": 1},
                    "$push": {"history": entry, "outbox": self.alerts.intent("escalated", page=page)}}
        return update

    async def run_once(self) -> list[dict]:
        """Escalate every due alert this process claims (up to MAX_PER_PASS); returns them."""
        now = self.clock.now()
        done: list[dict] = []
        async for doc in self.alerts.escalations_due(now, self._claim(now), MAX_PER_PASS):
            entry = doc["history"][-1]
            # The alert id only: a patient id beside a condition does not belong in a log line.
            log.warning("alert %s (%s) escalated, level %s: %s", doc["_id"], doc["severity"],
                        doc["escalation_level"], entry.get("reason"))
            self.alerts.metrics.escalations.inc()
            page = next((i.get("page") for i in reversed(doc.get("outbox", [])) if i["action"] == "escalated"), None)
            await self.dispatch.publish(doc, "escalated", page=page)
            done.append(doc)
        return done
