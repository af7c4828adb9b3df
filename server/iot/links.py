"""Live device state: links (who is connected over what), online/offline, heartbeats, commands.

A *link* is a way to reach a device right now: a Socket.IO socket, a raw WebSocket, or MQTT
(through the bridge; MQTT presence is "sent something within the heartbeat timeout").
Online/offline is decided on the server clock only: a device is online while it has a
connection or has sent anything within DEVICE_HEARTBEAT_TIMEOUT. Every change is stored on the
device record, passed to ingest's device-event subscribers, then emitted as `device:status`.

Commands are stored in `device_commands` (queued → sent → acked/failed) and sent over the
newest link, each claimed (queued → sent) before it is written to the link; while the
device has none they stay queued and go out when it next connects.
Links are per process; the stored presence is per process too: a device's `online_on` lists
the processes holding it, each with a lease in `presence_leases` renewed by its sweeper. A
process that starts (or sweeps) takes offline only devices whose processes' leases ended, so
`online` is true with any number of processes, and a crashed process's devices go offline
DEVICE_HEARTBEAT_TIMEOUT after its last renewal.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import socketio
from pymongo import IndexModel

from models.common import new_id
from models.devices import CommandIn, DeviceAlertIn, HeartbeatIn
from models.errors import NotFound
from rooms.names import patient_room, role_room
from server.clock import Clock
from server.inbox.notifier import Notifier
from server.iot.ingest import Ingest
from server.iot.registry import Devices
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)
COMMANDS, DEVICE_ALERTS, LEASES = "device_commands", "device_alerts", "presence_leases"
Sender = Callable[[dict], Awaitable[None]]
# The stored last_seen is what other processes and the offline rule (server/iot/presence.py) read:
# refreshed every DEVICE_OFFLINE_MIN_S / 10, between 5 and 30 s. Every 5 s was one update of the
# devices document (six indexes: ~0.8 ms of SecantusDB each) per reading of a fleet sending every
# 5 s, 2,000 a second at 10,000 devices (bench fleet).
LAST_SEEN_MIN, LAST_SEEN_MAX = timedelta(seconds=5), timedelta(seconds=30)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Link:
    device_id: str
    kind: str  # socketio | websocket | mqtt
    key: str
    peer: str
    since: datetime
    send: Sender = field(repr=False)
    close: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)


class DeviceLinks:
    def __init__(self, db: Database, clock: Clock, ingest: Ingest, registry: Devices, sio: socketio.AsyncServer | None,
                 heartbeat_timeout: int, notifier: Notifier | None = None, offline_min_s: float = 300) -> None:
        self.db, self.clock, self.ingest, self.registry, self.sio = db, clock, ingest, registry, sio
        self.notifier = notifier  # device:command_acked to the admins
        self.timeout = timedelta(seconds=heartbeat_timeout)
        self.persist_every = min(max(timedelta(seconds=offline_min_s / 10), LAST_SEEN_MIN), LAST_SEEN_MAX)
        self.links: dict[str, dict[str, Link]] = {}
        self._last_seen: dict[str, datetime] = {}
        self._online: dict[str, str | None] = {}  # device_id -> patient_id, for the online ones
        self._persisted: dict[str, datetime] = {}
        self.process = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
        self._renewed = EPOCH
        db.declare(COMMANDS, IndexModel([("device_id", 1), ("status", 1)]), IndexModel("created_at"))
        db.declare(DEVICE_ALERTS, IndexModel([("device_id", 1), ("received_at", 1)]))
        db.declare(LEASES, IndexModel("expires_at"))


    # -- presence -------------------------------------------------------------------
    async def connected(self, device: dict, kind: str, key: str, peer: str, send: Sender,
                        close: Callable[[], Awaitable[None]] | None = None) -> None:
        self.links.setdefault(device["_id"], {})[key] = Link(device["_id"], kind, key, peer, self.clock.now(),
                                                             send, close)
        await self.seen(device, kind)
        await self.deliver(device["_id"])

    async def disconnected(self, device: dict, key: str) -> None:
        links = self.links.get(device["_id"], {})
        links.pop(key, None)
        if not links:
            self.links.pop(device["_id"], None)
            await self._set_online(device["_id"], device.get("patient_id"), False, "disconnected")

    async def seen(self, device: dict, via: str, send: Sender | None = None) -> None:
        """Any message from a device. MQTT (`send` given) keeps a link while it is heard from."""
        now = self.clock.now()
        self._last_seen[device["_id"]] = now
        if send is not None and "mqtt" not in self.links.get(device["_id"], {}):
            self.links.setdefault(device["_id"], {})["mqtt"] = Link(device["_id"], "mqtt", "mqtt", "broker", now, send)
            await self.deliver(device["_id"])
        if device["_id"] not in self._online:
            await self._set_online(device["_id"], device.get("patient_id"), True, via)

    async def kick(self, device_id: str) -> None:
        """Close every connection of a revoked device."""
        for link in list(self.links.get(device_id, {}).values()):
            if link.close is not None:
                try:
                    await link.close()
                except Exception:
                    log.debug("closing %s link of %s failed", link.kind, device_id, exc_info=True)

    async def close_websockets(self) -> None:
        """At shutdown: close every raw WebSocket with 1001 "going away", so the device reconnects (to
        another process, or to this one once restarted) instead of keeping the shutdown waiting."""
        for links in list(self.links.values()):
            for link in list(links.values()):
                if link.kind == "websocket" and link.close is not None:
                    try:
                        await link.close(code=1001, message=b"server shutting down")
                    except Exception:  # a connection already gone: nothing left to close
                        log.debug("closing the WebSocket of %s failed", link.device_id, exc_info=True)

    def seen_here(self, device_id: str) -> datetime | None:
        """When this process last heard from the device (the stored last_seen may be older)."""
        return self._last_seen.get(device_id)

    async def on_readings(self, docs: list[dict]) -> None:
        last: dict[str, dict] = {}
        for doc in docs:
            last[doc["device_id"]] = doc
        # The stored last_seen is refreshed at most every `persist_every` per device: one update per
        # reading would double the database work of ingestion. Presence uses the in-memory time.
        due = [(d, doc["received_at"]) for d, doc in last.items()
               if doc["received_at"] - self._persisted.get(d, EPOCH) >= self.persist_every]
        if due:
            await self.registry.mark_seen(due)
            self._persisted.update(due)
        for device_id, doc in last.items():
            self._last_seen[device_id] = max(self._last_seen.get(device_id, doc["received_at"]), doc["received_at"])
            if device_id not in self._online:
                await self._set_online(device_id, doc["patient_id"], True, doc.get("source", "data"))

    async def _set_online(self, device_id: str, patient_id: str | None, online: bool, link: str) -> None:
        if online == (device_id in self._online):
            return
        if online:
            self._online[device_id] = patient_id
        else:
            self._online.pop(device_id, None)
        now = self.clock.now()
        await self.registry.set_online(device_id, online, now, self.process)
        await self.ingest.publish_device_event({"type": "status", "device_id": device_id, "patient_id": patient_id,
                                                "online": online, "received_at": now})
        if self.sio is not None:
            rooms = [role_room("admin")] + ([patient_room(patient_id)] if patient_id else [])
            await self.sio.emit(events.DEVICE_STATUS, {"device_id": device_id, "patient_id": patient_id,
                                                       "online": online, "link": link, "at": now.isoformat()},
                                room=rooms)

    async def sweep(self) -> None:
        """Devices not heard from within the timeout go offline (MQTT links are dropped)."""
        await self._renew()
        deadline = self.clock.now() - self.timeout
        for device_id, patient_id in list(self._online.items()):
            links = self.links.get(device_id, {})
            if self._last_seen.get(device_id, deadline) > deadline:
                continue
            links.pop("mqtt", None)
            if not links:
                self.links.pop(device_id, None)
                await self._set_online(device_id, patient_id, False, "timeout")

    async def reset_presence(self) -> None:
        """A fresh process: take its lease, and offline the devices of processes whose lease ended."""
        await self._renew(force=True)

    async def _renew(self, force: bool = False) -> None:
        now = self.clock.now()
        if not force and now - self._renewed < self.timeout / 3:
            return
        self._renewed = now
        await self.db[LEASES].update_one({"_id": self.process}, {"$set": {"expires_at": now + self.timeout}},
                                         upsert=True)
        await self._reap(now)

    async def _reap(self, now: datetime) -> None:
        live = await self.db[LEASES].find({"expires_at": {"$gt": now}}, {"_id": 1}).to_list(None)
        if reaped := await self.registry.reap([d["_id"] for d in live], now):
            log.info("%d device(s) of ended processes marked offline", reaped)

    async def release(self) -> None:
        """A clean shutdown: this process holds no device any more (stored only: the app is stopping)."""
        await self.db[LEASES].delete_one({"_id": self.process})
        await self._reap(self.clock.now())

    @property
    def sweep_every(self) -> float:
        return min(1.0, self.timeout.total_seconds() / 5)

    # -- heartbeats and device alerts -------------------------------------------------
    async def heartbeat(self, device: dict, hb: HeartbeatIn, via: str) -> None:
        now = self.clock.now()
        fields = {"battery": hb.battery, "signal_quality": hb.rssi, "uptime": hb.uptime, "free_heap": hb.free_heap}
        sets = {k: v for k, v in fields.items() if v is not None}
        if hb.firmware:
            sets["firmware_version"] = hb.firmware
        await self.registry.heard(device["_id"], sets, now)
        await self.ingest.publish_device_event({
            "type": "heartbeat", "device_id": device["_id"], "patient_id": device.get("patient_id"),
            "battery": hb.battery, "rssi": hb.rssi, "uptime": hb.uptime, "free_heap": hb.free_heap,
            "received_at": now})

    async def device_alert(self, device: dict, alert: DeviceAlertIn) -> dict:
        doc = {"_id": new_id(), "device_id": device["_id"], "patient_id": device.get("patient_id"),
               "code": alert.code, "message": alert.message, "severity": alert.severity,
               "received_at": self.clock.now()}
        await self.db[DEVICE_ALERTS].insert_one(doc)
        await self.ingest.publish_device_event({"type": "alert", **{k: v for k, v in doc.items() if k != "_id"}})
        return doc

    # -- commands -------------------------------------------------------------------
    async def command(self, device_id: str, body: CommandIn, by: str) -> dict:
        doc = {"_id": new_id(), "device_id": device_id, "command": body.command, "params": body.params,
               "status": "queued", "created_by": by, "created_at": self.clock.now(), "sent_at": None,
               "via": None, "acked_at": None, "result": None}
        await self.db[COMMANDS].insert_one(doc)
        await self.deliver(device_id)
        return await self.db[COMMANDS].find_one({"_id": doc["_id"]})

    async def deliver(self, device_id: str) -> None:
        links = self.links.get(device_id)
        if not links:
            return
        link = max(links.values(), key=lambda ln: ln.since)
        queued = await self.db[COMMANDS].find({"device_id": device_id, "status": "queued"}).to_list(None)
        for cmd in sorted(queued, key=lambda c: c["created_at"]):
            # Claimed before it is sent, so two deliveries at once (a connect and a new command, or
            # two processes) send it once: at most once, as a `reboot` must be.
            params = {"now": self.clock.now().isoformat()} if cmd["command"] == "sync_time" else cmd["params"]
            claimed = await self.db[COMMANDS].find_one_and_update({"_id": cmd["_id"], "status": "queued"}, {
                "$set": {"status": "sent", "sent_at": self.clock.now(), "via": link.kind, "params": params}})
            if claimed is None:
                continue
            try:
                await link.send({"id": cmd["_id"], "command": cmd["command"], "params": params})
            except Exception:
                log.warning("command %s to %s over %s failed; queued again", cmd["_id"], device_id, link.kind)
                await self.db[COMMANDS].update_one({"_id": cmd["_id"], "status": "sent"}, {
                    "$set": {"status": "queued", "sent_at": None, "via": None, "params": cmd["params"]}})
                return

    async def command_ack(self, device: dict, command_id: str, ok: bool, result) -> dict:
        doc = await self.db[COMMANDS].find_one({"_id": command_id, "device_id": device["_id"]})
        if doc is None:
            raise NotFound("No such command for this device", code="unknown_command")
        if ok and doc["command"] == "set_interval":  # the device's state first, then the command's
            await self.registry.set_interval(device["_id"], doc["params"]["interval_s"])
        done = await self.db[COMMANDS].find_one_and_update(
            {"_id": command_id},
            {"$set": {"status": "acked" if ok else "failed", "acked_at": self.clock.now(), "result": result}},
            return_document=True)
        if self.notifier is not None:  # stored first, then announced (the admin devices screen)
            await self.notifier.broadcast(events.DEVICE_COMMAND_ACKED, done, [role_room("admin")])
        return done

    async def commands(self, device_id: str) -> list[dict]:
        docs = await self.db[COMMANDS].find({"device_id": device_id}).to_list(None)
        return sorted(docs, key=lambda c: c["created_at"], reverse=True)

    def sessions(self) -> list[dict]:
        out = []
        for device_id, links in self.links.items():
            for link in links.values():
                seen = self._last_seen.get(device_id)
                out.append({"device_id": device_id, "patient_id": self._online.get(device_id), "link": link.kind,
                            "peer": link.peer, "since": link.since.isoformat(),
                            "last_seen": seen.isoformat() if seen else None})
        return sorted(out, key=lambda s: s["since"])
