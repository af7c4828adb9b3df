"""Doctors' slots and appointments (the earlier API's paths and payloads, extended)."""

from __future__ import annotations

from aiohttp import web

from models.common import parse
from models.identity import Identity
from models.scheduling import AppointmentQuery, AvailableQuery, CancelIn, ReserveIn, SlotIn
from server.http.middleware import authenticated, json_response, read_body
from server.http.openapi import ARRAY, operation
from server.keys import APPOINTMENTS, SLOTS


@operation("Create slot", body=SlotIn, status=201)
@authenticated("doctor")
async def create_slot(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, SlotIn)
    slots = request.app[SLOTS]
    return json_response(slots.created_out(await slots.create(identity, body)), status=201)


@operation("Available", query=AvailableQuery, response=ARRAY)
@authenticated("patient")
async def available(request: web.Request, identity: Identity) -> web.Response:
    query = parse(AvailableQuery, dict(request.query))
    return json_response(await request.app[SLOTS].available(identity, query))


@operation("Reserve", body=ReserveIn, status=201)
@authenticated("patient")
async def reserve(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, ReserveIn)
    return json_response(await request.app[APPOINTMENTS].book(identity, body), status=201)


@operation("Of doctor", query=AppointmentQuery, response=ARRAY)
@authenticated("doctor")
async def of_doctor(request: web.Request, identity: Identity) -> web.Response:
    query = parse(AppointmentQuery, dict(request.query))
    return json_response(await request.app[APPOINTMENTS].of_doctor(identity, query.status))


@operation("Of patient", query=AppointmentQuery, response=ARRAY)
@authenticated("patient")
async def of_patient(request: web.Request, identity: Identity) -> web.Response:
    query = parse(AppointmentQuery, dict(request.query))
    return json_response(await request.app[APPOINTMENTS].of_patient(identity, query.status))


@operation("Cancel", body=CancelIn)
@authenticated("doctor", "patient")
async def cancel(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, CancelIn)
    return json_response(await request.app[APPOINTMENTS].cancel(identity, request.match_info["id"], body.reason))


def register(app: web.Application) -> None:
    app.router.add_post("/api/slots/", create_slot)
    app.router.add_get("/api/slots/available/", available)
    app.router.add_post("/api/slots/reserve/", reserve)
    app.router.add_get("/api/appointments/doctor/", of_doctor)
    app.router.add_get("/api/appointments/patient/", of_patient)
    app.router.add_post("/api/appointments/{id}/cancel/", cancel)
