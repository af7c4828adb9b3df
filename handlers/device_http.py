"""HTTP for devices: `POST /api/iot/data` (one reading set), `/api/iot/batch` (an offline buffer
being replayed), `/api/iot/heartbeat`. The device token is the Bearer credential; a body or
`X-Device-ID` naming another device is refused.

/data answers 200 `{status: accepted|duplicate, id, seq}` or 422 with the rejection reason;
/batch answers 200 with one result per item, in order: accepted, duplicate, or rejected with
code and reason. All items of a batch go into the same group commits.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from models.common import parse
from models.devices import HeartbeatIn
from models.errors import Forbidden, Invalid
from models.vitals import Rejected
from server.http.middleware import bearer, json_response, read_json
from server.http.openapi import OBJECT, operation
from server.iot.frames import battery_of, submit_frame
from server.keys import DEVICE_LINKS, DEVICES, INGEST, THROTTLE
from server.ops.throttle import DEVICE_DATA

MAX_BATCH = 1000
BATCH = {"type": "object", "required": ["measurements"],
         "properties": {"measurements": {"type": "array", "items": OBJECT, "minItems": 1, "maxItems": MAX_BATCH}}}


async def _device(request: web.Request) -> dict:
    device = await request.app[DEVICES].authenticate(bearer(request))
    claimed = request.headers.get("X-Device-ID")
    if claimed and claimed != device["_id"]:
        raise Forbidden("X-Device-ID is not the device of this token", code="device_mismatch")
    await request.app[THROTTLE].take(DEVICE_DATA, device["_id"], "messages from this device")
    return device


def _result(r: dict) -> dict:
    return {k: v for k, v in r.items() if v is not None and k != "details"}


@operation("One reading set from a device", body=OBJECT, auth="device", errors=(413, 422))
async def data(request: web.Request) -> web.Response:
    device = await _device(request)
    body = await read_json(request)
    result = await submit_frame(request.app[INGEST], device, body, "http")
    if result["status"] == "rejected":
        raise Rejected(result["reason"], code=result["code"], details=result.get("details"))
    battery = battery_of(body)
    if battery is not None:
        await request.app[DEVICE_LINKS].heartbeat(device, HeartbeatIn(battery=battery), "http")
    return json_response(_result(result))


@operation("A device's buffered readings, replayed", body=BATCH, auth="device", errors=(413,))
async def batch(request: web.Request) -> web.Response:
    device = await _device(request)
    body = await read_json(request)
    items = body.get("measurements") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise Invalid("`measurements` must be a non-empty array",
                      details=[{"field": "measurements", "message": "required"}])
    if len(items) > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} measurements per batch", code="batch_too_large")
    results = await asyncio.gather(*(submit_frame(request.app[INGEST], device, m, "http") for m in items))
    out = [{"index": i, **_result(r)} for i, r in enumerate(results)]
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("accepted", "duplicate", "rejected")}
    return json_response({"results": out, **counts})


@operation("A device heartbeat", body=HeartbeatIn, auth="device")
async def heartbeat(request: web.Request) -> web.Response:
    device = await _device(request)
    hb = parse(HeartbeatIn, await read_json(request))
    await request.app[DEVICE_LINKS].heartbeat(device, hb, "http")
    await request.app[DEVICE_LINKS].seen(device, "http")
    return json_response({"stored": True})


def register(app: web.Application) -> None:
    app.router.add_post("/api/iot/data", data)
    app.router.add_post("/api/iot/batch", batch)
    app.router.add_post("/api/iot/heartbeat", heartbeat)
