"""Socket.IO namespace `/devices`: devices connect with `auth: {device_id, token}`.

`vitals:send` is acknowledged only after the durable write (ingest's group commit);
heartbeats, device alerts and command acknowledgements are stored the same way. The
device's identity is the one proven at the handshake, never a payload field; its record
is re-read every few seconds so a revoked device is cut off.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from aiohttp import web

from models.devices import CommandAckIn, DeviceAlertIn, HeartbeatIn
from models.errors import DomainError, Unauthorized
from models.vitals import Rejected
from server.iot.frames import submit_frame
from server.keys import DEVICE_LINKS, DEVICES, INGEST, SIO, THROTTLE
from server.ops.throttle import CONNECTIONS
from server.realtime import events
from server.realtime.sockets import Callers, on

log = logging.getLogger(__name__)
NS = events.DEVICES_NAMESPACE


def register(app: web.Application) -> None:
    sio: socketio.AsyncServer = app[SIO]

    async def resolve(sid: str, session: dict) -> tuple[dict, str]:
        if "device_id" not in session:
            raise Unauthorized("This socket is not authenticated", code="token_missing")
        return await app[DEVICES].current(session["device_id"]), "device"

    async def cut_off_revoked(sid: str, exc: DomainError) -> None:
        if exc.code == "token_revoked":
            await sio.disconnect(sid, namespace=NS)

    devices = Callers(NS, resolve, cut_off_revoked)

    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        try:
            device = await app[DEVICES].authenticate(auth.get("token"), auth.get("device_id") or "")
            await app[THROTTLE].take(CONNECTIONS, f"device:{device['_id']}", "connections of this device")
        except DomainError as exc:
            log.info("device socket refused: %s", exc.code)
            raise socketio.exceptions.ConnectionRefusedError(
                exc.code, {"code": exc.code, "message": exc.message, "details": exc.details}) from None
        await sio.save_session(sid, {"device_id": device["_id"], "patient_id": device.get("patient_id")},
                               namespace=NS)
        request = environ.get("aiohttp.request")
        peer = (request.remote if request is not None else None) or environ.get("REMOTE_ADDR", "?")

        async def send(command: dict) -> None:
            await sio.emit(events.DEVICE_COMMAND, command, to=sid, namespace=NS)

        async def close() -> None:
            await sio.disconnect(sid, namespace=NS)

        await app[DEVICE_LINKS].connected(device, "socketio", sid, peer, send, close)

    async def disconnect(sid: str, *args: Any) -> None:
        session = await sio.get_session(sid, namespace=NS)
        if "device_id" in session:
            device = {"_id": session["device_id"], "patient_id": session["patient_id"]}
            await app[DEVICE_LINKS].disconnected(device, sid)

    sio.on("connect", connect, namespace=NS)
    sio.on("disconnect", disconnect, namespace=NS)

    @on(sio, events.VITALS_SEND, None, callers=devices)
    async def vitals_send(sid: str, device: dict, payload: Any) -> dict:
        result = await submit_frame(app[INGEST], device, payload, "socketio")
        if result["status"] == "rejected":
            raise Rejected(result["reason"], code="rejected", details=result.get("details"))
        return result

    @on(sio, events.DEVICE_HEARTBEAT, HeartbeatIn, callers=devices)
    async def heartbeat(sid: str, device: dict, hb: HeartbeatIn) -> dict:
        await app[DEVICE_LINKS].heartbeat(device, hb, "socketio")
        return {"stored": True}

    @on(sio, events.DEVICE_ALERT, DeviceAlertIn, callers=devices)
    async def device_alert(sid: str, device: dict, alert: DeviceAlertIn) -> dict:
        doc = await app[DEVICE_LINKS].device_alert(device, alert)
        return {"id": doc["_id"]}

    @on(sio, events.COMMAND_ACK, CommandAckIn, callers=devices)
    async def command_ack(sid: str, device: dict, body: CommandAckIn) -> dict:
        doc = await app[DEVICE_LINKS].command_ack(device, body.command_id, body.ok, body.result)
        return {"id": doc["_id"], "status": doc["status"]}
