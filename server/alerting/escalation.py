"""Escalation of alerts nobody acknowledged, exactly once across processes, surviving restarts.

The schedule lives on the alert (`next_escalation_at`, set when it is raised or its severity
rises, from ALERT_ESCALATION_<SEVERITY>_S; None for severities that never escalate, and
reset to None by acknowledgement or clearing). Every ALERT_TICK_S each process runs
`run_once()`, which *claims* due alerts one at a time with `find_one_and_update`: the claim
moves `next_escalation_at` forward in the same atomic write that bumps `escalation_level`,
so whichever process wins, the alert escalates once per due time, and a process that
restarts finds the schedule where it was. Repeats come every max(severity delay,
ALERT_ESCALATION_MIN_REPEAT_S) until someone acknowledges: a bounded rate per alert; and a
pass claims at most MAX_PER_PASS alerts so a storm cannot monopolise the loop.

Escalating re-notifies the usual audience with urgency `urgent` and widens it to every
active doctor (`role:doctor`: the doctors on duty), inbox items included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web
from pymongo import ReturnDocument

from server.alerting.dispatch import AlertDispatch
from server.alerting.store import ACTIVE_UNACK, Alerts
from server.clock import Clock
from server.keys import ALERT_ENGINE, SETTINGS
from server.settings import Settings

log = logging.getLogger(__name__)

MAX_PER_PASS = 100


class Escalation:
    def __init__(self, alerts: Alerts, dispatch: AlertDispatch, clock: Clock, settings: Settings) -> None:
        self.alerts, self.dispatch, self.clock = alerts, dispatch, clock
        self.min_repeat = settings.alert_escalation_min_repeat_s

    def repeat_after(self, severity: str) -> float:
        return max(self.alerts.delays.get(severity, 0), self.min_repeat)

    async def claim(self) -> dict | None:
        now = self.clock.now()
        due = await self.alerts.coll.find_one(
            {"state": ACTIVE_UNACK, "next_escalation_at": {"$ne": None, "$lte": now}}, {"severity": 1})
        if due is None:
            return None
        nxt = now + timedelta(seconds=self.repeat_after(due["severity"]))
        # The filter repeats the due condition: of two processes racing for this alert, only
        # the first write still matches it.
        return await self.alerts.coll.find_one_and_update(
            {"_id": due["_id"], "state": ACTIVE_UNACK, "next_escalation_at": {"$ne": None, "$lte": now}},
            {"$set": {"next_escalation_at": nxt, "escalated_at": now}, "$inc": {"escalation_level": 1},
             "$push": {"history": {"at": now, "action": "escalated", "to": "role:doctor"}}},
            return_document=ReturnDocument.AFTER)

    async def run_once(self) -> list[dict]:
        """Escalate every due alert (up to MAX_PER_PASS); returns what this process escalated."""
        done: list[dict] = []
        misses = 0
        while len(done) < MAX_PER_PASS and misses < 3:
            doc = await self.claim()
            if doc is None:
                # Either nothing is due, or another process won the race for it: look again
                # a couple of times, then leave the rest to the next tick.
                if await self.alerts.coll.find_one(
                        {"state": ACTIVE_UNACK, "next_escalation_at": {"$ne": None, "$lte": self.clock.now()}},
                        {"_id": 1}) is None:
                    break
                misses += 1
                continue
            log.warning("alert %s (%s %s, patient %s) escalated, level %s", doc["_id"], doc["severity"],
                        doc["type"], doc["patient_id"], doc["escalation_level"])
            await self.dispatch.publish(doc, "escalated", widen=True)
            done.append(doc)
        return done


async def alert_tasks_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the periodic escalation and offline-device passes of this process."""
    engine = app[ALERT_ENGINE]
    tick = app[SETTINGS].alert_tick_s

    async def loop() -> None:
        while True:
            await asyncio.sleep(tick)
            for step in (engine.escalation.run_once, engine.devices.scan_offline, engine.units.summaries_due):
                try:
                    await step()
                except Exception:  # a failing pass is logged and retried next tick
                    log.exception("alert background pass %s failed", step.__qualname__)

    task = asyncio.create_task(loop(), name="alert-ticks")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
