"""The earlier firmware's raw WebSocket: `/ws/iot/<device_id>/`, token as `Authorization: Bearer`
or `?token=`. A bad token or another device's id is refused before the upgrade (401/403).

Frames in (JSON text): `sensor_data` `{device_mac, data: {...}}`, `realtime_data` `{heart_rate, spo2}`,
`vitals` `{seq, ts, readings}`, `heartbeat` `{battery, rssi, uptime, free_heap}`,
`command_ack` `{command_id, ok, result}`. Frames out: `{"type": "ack", status, seq, id}` after the
durable write, `{"type": "rejected", code, message}`, `{"type": "error", code, message}` for a
frame that is not understood (the connection stays open; code `retry_later` with `retry_after` while
the database is away), and `{"type": "command", id, command, params}`.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from models.common import new_id, parse
from models.devices import CommandAckIn, HeartbeatIn
from models.errors import DomainError, RateLimited, Unavailable
from server.http.middleware import bearer, unavailable
from server.iot.frames import battery_of, submit_frame
from server.keys import DEVICE_LINKS, DEVICES, INGEST, THROTTLE
from server.ops.throttle import CONNECTIONS, DEVICE_DATA

log = logging.getLogger(__name__)
VITALS_FRAMES = ("sensor_data", "realtime_data", "vitals", "iot_data")


async def handle_frame(app: web.Application, device_id: str, text: str) -> dict:
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"type": "error", "code": "invalid_json", "message": "The frame is not valid JSON"}
    if not isinstance(frame, dict):
        return {"type": "error", "code": "invalid", "message": "A frame must be a JSON object"}
    kind = frame.get("type")
    try:
        await app[THROTTLE].take(DEVICE_DATA, device_id, "messages from this device")
        device = await app[DEVICES].current(device_id)
        if kind in VITALS_FRAMES:
            result = await submit_frame(app[INGEST], device, frame, "websocket")
            if result["status"] == "rejected":
                return {"type": "rejected", "seq": result["seq"], "code": result["code"], "message": result["reason"]}
            battery = battery_of(frame)
            if battery is not None:
                await app[DEVICE_LINKS].heartbeat(device, HeartbeatIn(battery=battery), "websocket")
            return {"type": "ack", **result}
        if kind == "heartbeat":
            await app[DEVICE_LINKS].heartbeat(device, parse(HeartbeatIn, frame), "websocket")
            return {"type": "ack", "status": "stored"}
        if kind == "command_ack":
            body = parse(CommandAckIn, frame)
            doc = await app[DEVICE_LINKS].command_ack(device, body.command_id, body.ok, body.result)
            return {"type": "ack", "status": doc["status"], "command_id": doc["_id"]}
    except DomainError as exc:
        return _error(exc)
    except Exception as exc:
        if (away := unavailable(app, exc, "a device WebSocket frame")) is None:
            raise
        return _error(away)  # the database is away: the device keeps the reading and sends it again
    return {"type": "error", "code": "unknown_type", "message": f"Unknown frame type {kind!r}"}


def _error(exc: DomainError) -> dict:
    retry = {"retry_after": exc.retry_after} if isinstance(exc, RateLimited | Unavailable) else {}
    return {"type": "error", "code": exc.code, "message": exc.message, **retry}


async def device_ws(request: web.Request) -> web.StreamResponse:
    device_id = request.match_info["device_id"]
    token = bearer(request) or request.query.get("token")
    device = await request.app[DEVICES].authenticate(token, device_id)  # raises → 401/403 JSON
    await request.app[THROTTLE].take(CONNECTIONS, f"device:{device_id}", "connections of this device")  # 429
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
    await ws.prepare(request)
    links, key = request.app[DEVICE_LINKS], f"ws:{new_id()[:12]}"

    sending = asyncio.Lock()  # a command pushed by another task and a reply must not interleave their frames

    async def reply(obj: dict) -> None:
        async with sending:
            await ws.send_json(obj)

    async def send(command: dict) -> None:
        await reply({"type": "command", **command})

    try:
        await links.connected(device, "websocket", key, request.remote or "?", send, ws.close)
    except Exception as exc:  # after prepare(): an HTTP error here would be written into the upgraded stream
        if unavailable(request.app, exc, "a device WebSocket's start") is None:
            log.exception("device websocket %s: recording the connection failed", device_id)
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"retry_later")
        return ws
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await reply(await handle_frame(request.app, device_id, msg.data))
            elif msg.type == WSMsgType.BINARY:
                await reply({"type": "error", "code": "binary_frame", "message": "Send JSON text frames"})
    except Exception:
        log.exception("device websocket %s failed", device_id)
    finally:
        try:
            await links.disconnected(device, key)
        except Exception as exc:  # the database away: raising here would answer HTTP on an upgraded stream
            if unavailable(request.app, exc, "a device WebSocket's end") is None:
                log.exception("device websocket %s: recording the disconnection failed", device_id)
    return ws


def register(app: web.Application) -> None:
    app.router.add_get("/ws/iot/{device_id}/", device_ws)
