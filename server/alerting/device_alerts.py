"""Device alerts: offline (by the server clock), low battery, and what devices report themselves.

- `device_offline`: no data from a device for longer than max(2 × its `interval_s`,
  DEVICE_OFFLINE_MIN_S = 5 min) by the server clock (`devices.last_seen`, set by Ingest from
  its own clock, so a device with a wrong clock cannot hide). Stale marking is per source: an
  open clinical alert is marked `stale` (based on data that is no longer coming) only when every
  device feeding it is offline; its feeders are the devices of the latest readings
  (`vitals_latest`) of the kinds its active causes are about (a rule cause's reading, a NEWS2
  cause's scoring parameter; a manual observation such as consciousness has no device). A
  patient's alert fed by a device still sending stays fresh when another device of that patient
  goes offline; one fed only by the silent device is stale. It clears, and the marks of the alerts it
  alone made stale go, as soon as a message or heartbeat from that device is stored. A socket
  disconnect alone raises nothing: reconnect blips are not outages.
- `battery_low`: < 20 % warning, < 10 % critical; clears at ≥ 25 % (charged; the margin
  stops a battery hovering at 20 % from flapping).
- `device_alert`: sent by the device (MQTT `…/alert`, socket `device:alert`), one open alert
  per device and code; it clears when the device sends the same code with severity
  `clear`/`ok`/`resolved`, or by hand.
Device alerts are keyed by `source` = device id, so two devices of a patient are distinct.
"""

from __future__ import annotations

import logging

from server.alerting.dispatch import AlertDispatch
from server.alerting.news2 import DEVICE_KINDS as NEWS2_KINDS
from server.alerting.rules import SEVERITIES
from server.alerting.store import Alerts
from server.clock import Clock
from server.iot import presence
from server.iot.ingest import LATEST
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger(__name__)

BATTERY_WARNING, BATTERY_CRITICAL, BATTERY_CHARGED = 20.0, 10.0, 25.0
CLEAR_WORDS = ("clear", "ok", "resolved")


def feeding_kinds(alert: dict) -> set[str]:
    """The reading kinds an open clinical alert is about: for an episode, its active causes' readings (a
    rule's `reading`, a NEWS2 cause's `parameter`: the one that scores, not every NEWS2 input); for an
    alert without causes, NEWS2's device parameters or the threshold rule's kind."""
    causes = [c for c in alert.get("causes") or [] if isinstance(c, dict) and c.get("active")]
    if causes:
        return {c.get("reading") or c.get("parameter") for c in causes} - {None}
    if alert.get("type") == "news2":
        return set(NEWS2_KINDS)
    return {alert["kind"]} if alert.get("kind") else set()


class DeviceAlerts:
    def __init__(self, db: Database, clock: Clock, settings: Settings, alerts: Alerts,
                 dispatch: AlertDispatch, seen_here: presence.SeenHere | None = None) -> None:
        self.db, self.clock, self.alerts, self.dispatch, self.seen_here = db, clock, alerts, dispatch, seen_here
        self.min_s = settings.device_offline_min_s

    async def on_event(self, event: dict) -> None:
        patient_id, device_id = event.get("patient_id"), event.get("device_id")
        if not patient_id or not device_id:
            return
        kind = event.get("type")
        if kind == "heartbeat":
            await self.resumed(patient_id, device_id)
            if event.get("battery") is not None:
                await self.battery(patient_id, device_id, float(event["battery"]))
        elif kind == "status" and event.get("online"):
            await self.resumed(patient_id, device_id)
        elif kind == "alert":
            await self.device_alert(patient_id, device_id, event)

    async def battery(self, patient_id: str, device_id: str, level: float) -> None:
        severity = "critical" if level < BATTERY_CRITICAL else "warning" if level < BATTERY_WARNING else None
        if severity:
            doc, outcome = await self.alerts.upsert(patient_id=patient_id, type="battery_low", severity=severity,
                                                    value=level, category="device", source=device_id,
                                                    data={"device_id": device_id})
            await self.dispatch.publish(doc, "severity_rose" if outcome == "rose" else outcome)
        elif level >= BATTERY_CHARGED:
            await self._clear(patient_id, "battery_low", device_id)

    async def device_alert(self, patient_id: str, device_id: str, event: dict) -> None:
        code = str(event.get("code") or "unknown")[:64]
        source = f"{device_id}:{code}"
        severity = (event.get("severity") or "warning").lower()
        if severity in CLEAR_WORDS:
            await self._clear(patient_id, "device_alert", source)
            return
        if severity not in SEVERITIES:
            severity = "warning"
        doc, outcome = await self.alerts.upsert(
            patient_id=patient_id, type="device_alert", severity=severity, value=code, category="device",
            source=source, data={"device_id": device_id, "code": code, "message": str(event.get("message", ""))[:500]})
        await self.dispatch.publish(doc, "severity_rose" if outcome == "rose" else outcome)

    async def data_resumed(self, messages: list[dict]) -> None:
        pairs = {(m["patient_id"], m["device_id"]) for m in messages if m.get("patient_id") and m.get("device_id")}
        if not pairs:
            return
        open_offline = await self.alerts.coll.find(
            {"patient_id": {"$in": sorted({p for p, _ in pairs})}, "type": "device_offline", "open": True},
            {"patient_id": 1, "source": 1}).to_list(None)
        for doc in open_offline:
            if (doc["patient_id"], doc["source"]) in pairs:
                await self.resumed(doc["patient_id"], doc["source"])

    async def resumed(self, patient_id: str, device_id: str) -> None:
        if await self._clear(patient_id, "device_offline", device_id):
            _, fresh = await self._by_feeders(patient_id)
            for doc in await self.alerts.set_stale(patient_id, False, reason=f"device {device_id} back", only=fresh):
                await self.dispatch.publish(doc, "fresh")

    async def _by_feeders(self, patient_id: str) -> tuple[list[str], list[str]]:
        """(ids of the open clinical alerts all of whose feeding devices are offline, ids of the others).
        An alert whose feeders are unknown (no latest reading of its kinds) follows the patient: stale
        while any of their devices is offline."""
        offline = {a["source"] for a in await self.alerts.coll.find(
            {"patient_id": patient_id, "type": "device_offline", "open": True}, {"source": 1}).to_list(None)}
        latest = ((await self.db[LATEST].find_one({"_id": patient_id}, {"readings": 1})) or {}).get("readings") or {}
        stale, fresh = [], []
        async for doc in self.alerts.coll.find({"patient_id": patient_id, "open": True, "category": {"$ne": "device"}},
                                               {"type": 1, "kind": 1, "causes": 1}):
            feeders = {latest[k].get("device_id") for k in feeding_kinds(doc) if k in latest} - {None}
            (stale if (feeders <= offline if feeders else bool(offline)) else fresh).append(doc["_id"])
        return stale, fresh

    async def _clear(self, patient_id: str, type: str, source: str) -> bool:
        doc = await self.alerts.clear_open(patient_id, type, source, reason="auto")
        if doc is not None:
            await self.dispatch.publish(doc, "cleared")
        return doc is not None

    async def scan_offline(self) -> list[dict]:
        """Raise `device_offline` for every silent device; returns the alerts raised now."""
        now = self.clock.now()
        silent = await self.db["devices"].find(
            presence.maybe_offline(now, self.min_s),
            {"patient_id": 1, "interval_s": 1, "last_seen": 1, "revoked_at": 1}).to_list(None)
        silent = [d for d in (presence.freshest(d, self.seen_here) for d in silent)
                  if d.get("patient_id") and d.get("revoked_at") is None and presence.is_offline(d, now, self.min_s)]
        if not silent:
            return []
        known = {(a["patient_id"], a["source"]) for a in await self.alerts.coll.find(
            {"patient_id": {"$in": sorted({d["patient_id"] for d in silent})}, "type": "device_offline",
             "open": True}, {"patient_id": 1, "source": 1}).to_list(None)}
        raised = []
        for dev in silent:
            if (dev["patient_id"], dev["_id"]) in known:
                continue
            silence = round((now - dev["last_seen"]).total_seconds())
            doc, outcome = await self.alerts.upsert(
                patient_id=dev["patient_id"], type="device_offline", severity="warning", value=silence,
                category="device", source=dev["_id"],
                data={"device_id": dev["_id"], "last_seen": dev["last_seen"].isoformat()})
            if outcome != "raised":
                continue  # another process got there first
            raised.append(doc)
            log.warning("alert %s: device %s offline for %ss", doc["_id"], dev["_id"], silence)
            await self.dispatch.publish(doc, "raised")
            only, _ = await self._by_feeders(dev["patient_id"])
            for stale in await self.alerts.set_stale(dev["patient_id"], True, reason=f"device {dev['_id']} offline",
                                                     only=only):
                await self.dispatch.publish(stale, "stale")
        return raised
