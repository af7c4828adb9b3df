"""The periodic summary of a care unit, sent to `unit:<id>` (its staff's dashboards).

Patients with their latest NEWS2 and open alerts, the unit's devices split into active and
offline (same rule as device alerts: silent for more than max(2 × interval,
DEVICE_OFFLINE_MIN_S) by the server clock). With several processes each unit's summary is
sent by one of them per period: the unit document's `next_summary_at` is claimed atomically.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from pymongo import ReturnDocument

from models.documents import CARE_UNITS as UNITS
from rooms.names import unit_room
from server.alerting import news2_service
from server.alerting.store import Alerts, public
from server.keys import CLOCK, DB, NOTIFIER, SETTINGS
from server.realtime import events

log = logging.getLogger(__name__)


class UnitSummaries:
    def __init__(self, app: web.Application, alerts: Alerts) -> None:
        self.app, self.db, self.clock, self.alerts = app, app[DB], app[CLOCK], alerts
        self.period = app[SETTINGS].unit_summary_s
        self.offline_min = app[SETTINGS].device_offline_min_s

    async def build(self, unit: dict) -> dict:
        now = self.clock.now()
        ids = list(unit.get("patient_ids") or [])
        users = {u["_id"]: u for u in await self.db["users"].find(
            {"_id": {"$in": ids}}, {"first_name": 1, "last_name": 1, "username": 1}).to_list(None)}
        scores = {d["_id"]: d for d in await self.db[news2_service.LATEST].find({"_id": {"$in": ids}}).to_list(None)}
        open_alerts: dict[str, list[dict]] = {}
        for alert in await self.alerts.open_for(ids):
            open_alerts.setdefault(alert["patient_id"], []).append(public(alert))
        patients = []
        for pid in ids:
            user = users.get(pid, {})
            name = " ".join(x for x in (user.get("first_name"), user.get("last_name")) if x) or user.get("username")
            alerts = sorted(open_alerts.get(pid, []), key=lambda a: a["last_at"], reverse=True)
            patients.append({"id": pid, "name": name, "news2": news2_service.public(scores.get(pid)),
                             "open_alerts": alerts})
        devices: dict[str, list[dict]] = {"active": [], "offline": []}
        for dev in await self.db["devices"].find({"patient_id": {"$in": ids}}).to_list(None):
            seen = dev.get("last_seen")
            limit = max(2 * (dev.get("interval_s") or 5), self.offline_min)
            offline = seen is None or (now - seen).total_seconds() > limit
            devices["offline" if offline else "active"].append({
                "id": dev["_id"], "patient_id": dev["patient_id"], "battery": dev.get("battery"),
                "last_seen": seen.isoformat() if seen else None})
        return {"unit": {"id": unit["_id"], "name": unit["name"], "kind": unit["kind"]}, "at": now.isoformat(),
                "patients": patients, "devices": devices}

    async def send(self, unit: dict) -> dict:
        summary = await self.build(unit)
        await self.app[NOTIFIER].broadcast(events.UNIT_SUMMARY, summary, [unit_room(unit["_id"])])
        return summary

    async def summaries_due(self) -> int:
        """Send the summary of every unit whose period is due and that this process claims."""
        now, sent = self.clock.now(), 0
        due = await self.db[UNITS].find({"$or": [{"next_summary_at": None}, {"next_summary_at": {"$lte": now}}]},
                                        {"_id": 1}).to_list(None)
        for d in due:
            unit = await self.db[UNITS].find_one_and_update(
                {"_id": d["_id"], "$or": [{"next_summary_at": None}, {"next_summary_at": {"$lte": now}}]},
                {"$set": {"next_summary_at": now + timedelta(seconds=self.period)}},
                return_document=ReturnDocument.AFTER)
            if unit is not None:
                await self.send(unit)
                sent += 1
        return sent
