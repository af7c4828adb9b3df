"""Escalation of alerts nobody acknowledged, exactly once across processes, surviving restarts.

The schedule lives on the alert (`next_escalation_at`, set when it is raised or its severity
rises, from ALERT_ESCALATION_<SEVERITY>_S; None for severities that never escalate, and
reset to None by acknowledgement or clearing). Every ALERT_TICK_S each process runs
`run_once()`, which *claims* due alerts (server.jobs.claim_due, `find_one_and_update`): the claim
moves `next_escalation_at` forward in the same atomic write that bumps `escalation_level`,
so whichever process wins, the alert escalates once per due time, and a process that
restarts finds the schedule where it was. Repeats come every max(severity delay,
ALERT_ESCALATION_MIN_REPEAT_S) until someone acknowledges: a bounded rate per alert; and a
pass claims at most MAX_PER_PASS alerts so a storm cannot monopolise the loop.

Escalating re-notifies the usual audience with urgency `urgent` and widens it to every
active doctor (`role:doctor`: the doctors on duty), inbox items included.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from server.alerting.dispatch import AlertDispatch
from server.alerting.store import Alerts
from server.clock import Clock
from server.settings import Settings

log = logging.getLogger(__name__)

MAX_PER_PASS = 100


class Escalation:
    def __init__(self, alerts: Alerts, dispatch: AlertDispatch, clock: Clock, settings: Settings) -> None:
        self.alerts, self.dispatch, self.clock = alerts, dispatch, clock
        self.min_repeat = settings.alert_escalation_min_repeat_s

    def repeat_after(self, severity: str) -> float:
        return max(self.alerts.delays.get(severity, 0), self.min_repeat)

    def _claim(self, now):
        def update(due: dict) -> dict:
            nxt = now + timedelta(seconds=self.repeat_after(due["severity"]))
            return {"$set": {"next_escalation_at": nxt, "escalated_at": now}, "$inc": {"escalation_level": 1},
                    "$push": {"history": {"at": now, "action": "escalated", "to": "role:doctor"},
                              "outbox": self.alerts.intent("escalated", widen=True)}}
        return update

    async def run_once(self) -> list[dict]:
        """Escalate every due alert this process claims (up to MAX_PER_PASS); returns them."""
        now = self.clock.now()
        done: list[dict] = []
        async for doc in self.alerts.escalations_due(now, self._claim(now), MAX_PER_PASS):
            # The alert id only: a patient id beside a condition does not belong in a log line.
            log.warning("alert %s (%s %s) escalated, level %s", doc["_id"], doc["severity"], doc["type"],
                        doc["escalation_level"])
            self.alerts.metrics.escalations.inc()
            await self.dispatch.publish(doc, "escalated", widen=True)
            done.append(doc)
        return done
