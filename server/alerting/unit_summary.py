"""The periodic summary of a care unit, sent to `unit:<id>` (its staff's dashboards).

Patients with their latest NEWS2 and open alerts, the unit's devices split into active and
offline (same rule as device alerts: silent for more than max(2 × interval,
DEVICE_OFFLINE_MIN_S) by the server clock). With several processes each unit's summary is
sent by one of them per period: the unit document's `next_summary_at` is claimed atomically.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from models.documents import CARE_UNITS as UNITS
from models.documents import public
from models.errors import Forbidden, NotFound
from rooms import watch
from rooms.names import unit_room
from server.alerting import news2_service
from server.alerting.store import INTERNAL, Alerts
from server.clock import Clock
from server.inbox.notifier import Notifier
from server.iot import presence
from server.jobs import claim_due
from server.realtime import events
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger(__name__)


class UnitSummaries:
    def __init__(self, db: Database, clock: Clock, settings: Settings, notifier: Notifier, alerts: Alerts,
                 seen_here: presence.SeenHere | None = None) -> None:
        self.db, self.clock, self.notifier, self.alerts, self.seen_here = db, clock, notifier, alerts, seen_here
        self.period = settings.unit_summary_s
        self.offline_min = settings.device_offline_min_s

    async def build(self, unit: dict) -> dict:
        now = self.clock.now()
        ids = list(unit.get("patient_ids") or [])
        users = {u["_id"]: u for u in await self.db["users"].find(
            {"_id": {"$in": ids}}, {"first_name": 1, "last_name": 1, "username": 1}).to_list(None)}
        scores = {d["_id"]: d for d in await self.db[news2_service.LATEST].find({"_id": {"$in": ids}}).to_list(None)}
        open_alerts: dict[str, list[dict]] = {}
        for alert in await self.alerts.open_for(ids):
            open_alerts.setdefault(alert["patient_id"], []).append(public(alert, omit=INTERNAL))
        patients = []
        for pid in ids:
            user = users.get(pid, {})
            name = " ".join(x for x in (user.get("first_name"), user.get("last_name")) if x) or user.get("username")
            alerts = sorted(open_alerts.get(pid, []), key=lambda a: a["last_at"], reverse=True)
            patients.append({"id": pid, "name": name, "news2": public(scores.get(pid), id_as="patient_id"),
                             "open_alerts": alerts})
        devices: dict[str, list[dict]] = {"active": [], "offline": []}
        for dev in await self.db["devices"].find({"patient_id": {"$in": ids}}).to_list(None):
            dev = presence.freshest(dev, self.seen_here)
            seen = dev.get("last_seen")
            offline = presence.is_offline(dev, now, self.offline_min)
            devices["offline" if offline else "active"].append({
                "id": dev["_id"], "patient_id": dev["patient_id"], "battery": dev.get("battery"),
                "last_seen": seen.isoformat() if seen else None})
        return {"unit": {"id": unit["_id"], "name": unit["name"], "kind": unit["kind"]}, "at": now.isoformat(),
                "patients": patients, "devices": devices}

    async def watch(self, sid: str, user_id: str, unit_id: str) -> dict:
        """A staff member's socket joins `unit:<id>` and gets the summary now."""
        unit = await self.db[UNITS].find_one({"_id": unit_id})
        if unit is None:
            raise NotFound("No such care unit", code="unit_not_found")
        if user_id not in unit["staff_ids"]:
            raise Forbidden("You are not staff of this care unit", code="not_unit_staff")
        await watch.watch_unit(self.notifier.sio, sid, unit_id)
        # checked again once in the room: a removal whose eviction ran meanwhile is seen here
        if await self.db[UNITS].find_one({"_id": unit_id, "staff_ids": user_id}, {"_id": 1}) is None:
            await watch.unwatch_unit(self.notifier.sio, sid, unit_id)
            raise Forbidden("You are not staff of this care unit", code="not_unit_staff")
        return await self.build(unit)

    async def unwatch(self, sid: str, unit_id: str) -> None:
        await watch.unwatch_unit(self.notifier.sio, sid, unit_id)

    async def send(self, unit: dict) -> dict:
        summary = await self.build(unit)
        await self.notifier.broadcast(events.UNIT_SUMMARY, summary, [unit_room(unit["_id"])])
        return summary

    async def summaries_due(self) -> int:
        """Send the summary of every unit whose period is due and that this process claims."""
        now, sent = self.clock.now(), 0
        due = {"$or": [{"next_summary_at": None}, {"next_summary_at": {"$lte": now}}]}
        async for unit in claim_due(self.db[UNITS], due, {"$set": {"next_summary_at": now + timedelta(
                seconds=self.period)}}, limit=1000):
            await self.send(unit)
            sent += 1
        return sent
