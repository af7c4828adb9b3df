"""LoRaWAN network-server webhooks: `POST /api/iot/lorawan/tts` and `/api/iot/lorawan/chirpstack`.

Authenticated with LORAWAN_WEBHOOK_SECRET, sent by the network server as a custom header
(`X-Webhook-Secret: <secret>` or `Authorization: Bearer <secret>`); unset, the endpoints answer
503. The device is the one registered with the uplink's DevEUI; its uplinks count against
RATE_LIMIT_DEVICE_DATA (429 + Retry-After beyond it). A reading that cannot be stored
is answered 200 `{status: "rejected"}` and recorded, so the network server does not retry it.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from models.devices import HeartbeatIn
from models.errors import DomainError, Invalid, Unauthorized
from models.vitals import Rejected
from server.http.middleware import bearer, json_response, read_json
from server.http.openapi import OBJECT, operation
from server.iot.lorawan import Uplink, decode, network_datetime, parse_chirpstack, parse_tts, uplink_seq
from server.keys import DEVICE_LINKS, DEVICES, INGEST, SETTINGS, THROTTLE
from server.ops.throttle import DEVICE_DATA


class Disabled(DomainError):
    status = 503
    code = "lorawan_disabled"


def _check_secret(request: web.Request) -> None:
    secret = request.app[SETTINGS].lorawan_webhook_secret
    if not secret:
        raise Disabled("LoRaWAN webhooks are not configured (LORAWAN_WEBHOOK_SECRET)")
    given = request.headers.get("X-Webhook-Secret") or bearer(request) or ""
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthorized("Wrong webhook secret", code="bad_webhook_secret")


def _text(where: dict, key: str) -> str | None:
    """An id from the uplink: a string or absent. Anything else is refused: a dict such as `{"$ne": null}`
    would reach the database as a query operator and match any device."""
    value = where.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise Invalid(f"`{key}` must be a string", details=[{"field": key, "message": "a string"}])


async def _uplink(request: web.Request, body: dict, parser) -> web.Response:
    app = request.app
    ids = body.get("end_device_ids") or body.get("deviceInfo") or {}
    if not isinstance(ids, dict):
        raise Invalid("`end_device_ids` / `deviceInfo` must be an object")
    device = await app[DEVICES].by_dev_eui(_text(ids, "dev_eui") or _text(ids, "devEui") or _text(body, "devEUI"),
                                          _text(ids, "device_id") or _text(ids, "deviceName"))
    # Per device, like every transport (all uplinks come from the network server's one address).
    await app[THROTTLE].take(DEVICE_DATA, device["_id"], "messages from this device")  # 429 + Retry-After
    try:
        up: Uplink = parser(body)
        readings, facts = decode(up.payload)
    except Rejected as exc:
        await app[INGEST].record_rejection(device, body, exc, "lorawan")
        return json_response({"status": "rejected", "code": exc.code, "reason": exc.message})
    await app[DEVICE_LINKS].heartbeat(device, HeartbeatIn(battery=facts["battery"], uptime=facts["uptime"],
                                                          rssi=up.rssi), "lorawan")
    raw = {"seq": uplink_seq(up), "ts": network_datetime(up.network_time), "readings": readings}
    result = await app[INGEST].submit(device, raw, "lorawan")
    return json_response({k: v for k, v in result.items() if k != "details"} | {"f_cnt": up.f_cnt, "f_port": up.f_port})


@operation("The Things Stack uplink webhook", body=OBJECT, auth="webhook")
async def tts(request: web.Request) -> web.Response:
    _check_secret(request)
    body = await read_json(request, required=True, object_only=True)
    if "uplink_message" not in body:
        return json_response({"status": "ignored"})  # join accepts, downlink events…
    return await _uplink(request, body, parse_tts)


@operation("ChirpStack v4 `up` event webhook", body=OBJECT, auth="webhook")
async def chirpstack(request: web.Request) -> web.Response:
    _check_secret(request)
    body = await read_json(request, required=True, object_only=True)
    if request.query.get("event", "up") != "up" or "data" not in body:
        return json_response({"status": "ignored"})  # join, status, ack, log events
    return await _uplink(request, body, parse_chirpstack)


def register(app: web.Application) -> None:
    app.router.add_post("/api/iot/lorawan/tts", tts)
    app.router.add_post("/api/iot/lorawan/chirpstack", chirpstack)
