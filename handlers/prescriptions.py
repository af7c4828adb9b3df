"""Prescriptions over REST and sockets, and the pharmacy stock (REST)."""

from __future__ import annotations

from aiohttp import web

from models.care import PrescriptionIn, PrescriptionQuery, RestockIn, StatusEventIn, StatusIn
from models.common import parse
from models.identity import Identity
from server.http.middleware import authenticated, json_response, paged_response, read_body
from server.http.openapi import ARRAY, follow, operation
from server.keys import CLOCK, INVENTORY, PRESCRIPTIONS, SIO
from server.realtime import events
from server.realtime.sockets import on

CARE_ROLES = ("patient", "doctor", "pharmacist")


@operation("Create", body=PrescriptionIn, status=201,
           links=follow("id", "prescriptions.get", "prescriptions.set-status"))
@authenticated("doctor")
async def create(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, PrescriptionIn)
    return json_response(await request.app[PRESCRIPTIONS].create(identity, body), status=201)


@operation("List prescriptions", query=PrescriptionQuery, response=ARRAY, paged=True)
@authenticated(*CARE_ROLES)
async def list_prescriptions(request: web.Request, identity: Identity) -> web.Response:
    query = parse(PrescriptionQuery, dict(request.query))
    items, more = await request.app[PRESCRIPTIONS].list(identity, query)
    return paged_response(request, items, more)


@operation("Get")
@authenticated(*CARE_ROLES)
async def get(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[PRESCRIPTIONS].get(identity, request.match_info["id"]))


@operation("Set status", body=StatusIn)
@authenticated("doctor", "pharmacist")
async def set_status(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, StatusIn)
    return json_response(await request.app[PRESCRIPTIONS].set_status(
        identity, request.match_info["id"], body.status, body.reason))


@operation("List stock", response=ARRAY)
@authenticated("pharmacist")
async def list_stock(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[INVENTORY].list())


@operation("Restock", body=RestockIn)
@authenticated("pharmacist")
async def restock(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, RestockIn)
    return json_response(await request.app[INVENTORY].restock(body.name, body.quantity, body.threshold))


def register(app: web.Application) -> None:
    app.router.add_get("/api/prescriptions", list_prescriptions)
    app.router.add_post("/api/prescriptions", create)
    app.router.add_get("/api/prescriptions/{id}", get)
    app.router.add_post("/api/prescriptions/{id}/status", set_status)
    app.router.add_get("/api/inventory", list_stock)
    app.router.add_post("/api/inventory", restock)
    prescriptions = app[PRESCRIPTIONS]

    @on(app[SIO], events.PRESCRIPTION_SET_STATUS, StatusEventIn, app[CLOCK], roles=("doctor", "pharmacist"))
    async def on_set_status(sid: str, identity: Identity, payload: StatusEventIn) -> dict:
        return await prescriptions.set_status(identity, payload.id, payload.status, payload.reason)
