"""The device registry over REST: provisioning, assignment, secrets, commands, sessions.

Admins provision and manage devices; a patient sees their own devices and a doctor those of
a patient who granted them the `vitals` scope. A device secret appears in a response only
when it is created (provisioning, rotation).
"""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from models.common import Input, parse
from models.devices import CommandIn, DeviceCreateIn, DeviceUpdateIn, device_json
from models.documents import public
from models.errors import Forbidden, Invalid
from models.identity import Identity
from server.http.middleware import authenticated, json_response, read_body
from server.http.openapi import ARRAY, follow, operation
from server.keys import DEVICE_LINKS, DEVICES, INGEST, RIGHTS


class RejectedPage(Input):
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=100, ge=1, le=1000)


async def _may_view(request: web.Request, identity: Identity, device: dict) -> None:
    if identity.role == "admin":
        return
    if not device.get("patient_id"):
        raise Forbidden("Only admins see unassigned devices", code="role_forbidden")
    await request.app[RIGHTS].require(identity, device["patient_id"], "vitals")


@operation("Create", body=DeviceCreateIn, status=201,
           links=follow("device_id", "devices.get", "devices.update", "devices.send-command", "devices.rotate",
                        "devices.revoke"))
@authenticated("admin")
async def create(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, DeviceCreateIn)
    doc, token = await request.app[DEVICES].create(body)
    return json_response({**device_json(doc), "token": token}, status=201)


@operation("List devices", response=ARRAY)
@authenticated()
async def list_devices(request: web.Request, identity: Identity) -> web.Response:
    patient_id = request.query.get("patient_id")
    if identity.role == "patient":
        patient_id = identity.user_id
    elif identity.role != "admin":
        if not patient_id:
            raise Invalid("patient_id is required", details=[{"field": "patient_id", "message": "required"}])
        await request.app[RIGHTS].require(identity, patient_id, "vitals")
    docs = await request.app[DEVICES].list(patient_id)
    return json_response([device_json(d) for d in docs])


@operation("Get")
@authenticated()
async def get(request: web.Request, identity: Identity) -> web.Response:
    doc = await request.app[DEVICES].get(request.match_info["device_id"])
    await _may_view(request, identity, doc)
    return json_response(device_json(doc))


@operation("Update", body=DeviceUpdateIn)
@authenticated("admin")
async def update(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, DeviceUpdateIn)
    doc = await request.app[DEVICES].update(request.match_info["device_id"], body)
    return json_response(device_json(doc))


@operation("Rotate")
@authenticated("admin")
async def rotate(request: web.Request, identity: Identity) -> web.Response:
    doc, token = await request.app[DEVICES].rotate(request.match_info["device_id"])
    await request.app[DEVICE_LINKS].kick(doc["_id"])  # connections made with the old secret end
    return json_response({**device_json(doc), "token": token})


@operation("Revoke")
@authenticated("admin")
async def revoke(request: web.Request, identity: Identity) -> web.Response:
    doc = await request.app[DEVICES].revoke(request.match_info["device_id"])
    await request.app[DEVICE_LINKS].kick(doc["_id"])
    return json_response(device_json(doc))


@operation("Send command", body=CommandIn, status=201)
@authenticated("admin")
async def send_command(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, CommandIn)
    device = await request.app[DEVICES].get(request.match_info["device_id"])
    doc = await request.app[DEVICE_LINKS].command(device["_id"], body, identity.user_id)
    return json_response(public(doc), status=201)


@operation("List commands", response=ARRAY)
@authenticated("admin")
async def list_commands(request: web.Request, identity: Identity) -> web.Response:
    device = await request.app[DEVICES].get(request.match_info["device_id"])
    return json_response([public(d) for d in await request.app[DEVICE_LINKS].commands(device["_id"])])


@operation("Rejected", query=RejectedPage)
@authenticated("admin")
async def rejected(request: web.Request, identity: Identity) -> web.Response:
    device = await request.app[DEVICES].get(request.match_info["device_id"])
    page = parse(RejectedPage, dict(request.query))
    docs, more = await request.app[INGEST].rejections(device["_id"], page.cursor, page.limit)
    return json_response({"device_id": device["_id"], "count": device.get("rejected_count", 0),
                          "recent": [public(d) for d in docs], "next": more, "truncated": more is not None})


@operation("Sessions: the devices connected to this process", response=ARRAY)
@authenticated("admin")
async def sessions(request: web.Request, identity: Identity) -> web.Response:
    return json_response(request.app[DEVICE_LINKS].sessions())


def register(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/iot/devices", create)
    r.add_get("/api/iot/devices", list_devices)
    r.add_get("/api/iot/devices/{device_id}", get)
    r.add_patch("/api/iot/devices/{device_id}", update)
    r.add_post("/api/iot/devices/{device_id}/rotate", rotate)
    r.add_post("/api/iot/devices/{device_id}/revoke", revoke)
    r.add_post("/api/iot/devices/{device_id}/commands", send_command)
    r.add_get("/api/iot/devices/{device_id}/commands", list_commands)
    r.add_get("/api/iot/devices/{device_id}/rejected", rejected)
    r.add_get("/api/iot/sessions", sessions)
