"""Treatments (the earlier `/api/treatments/` CRUD), intakes, adherence, and the profile's time zone."""

from __future__ import annotations

from aiohttp import web

from models.common import parse
from models.identity import Identity
from models.treatments import IntakeIn, IntakeQuery, TimezoneIn, TreatmentIn, TreatmentPut, TreatmentQuery
from server.http.middleware import authenticated, json_response, read_body
from server.http.openapi import ARRAY, follow, operation
from server.keys import INTAKES, TREATMENTS

WHO = ("patient", "doctor")


@operation("List treatments", query=TreatmentQuery, response=ARRAY)
@authenticated(*WHO)
async def list_treatments(request: web.Request, identity: Identity) -> web.Response:
    query = parse(TreatmentQuery, dict(request.query))
    return json_response(await request.app[TREATMENTS].list(identity, query))


@operation("Create", body=TreatmentIn, status=201,
           links=follow("id", "treatments.get", "treatments.update", "treatments.list-intakes",
                        "treatments.adherence", "treatments.delete"))
@authenticated(*WHO)
async def create(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, TreatmentIn)
    return json_response(await request.app[TREATMENTS].create(identity, body), status=201)


@operation("Get")
@authenticated(*WHO)
async def get(request: web.Request, identity: Identity) -> web.Response:
    treatments = request.app[TREATMENTS]
    return json_response(treatments.out(await treatments.visible(identity, request.match_info["id"])))


@operation("Update", body=TreatmentPut)
@authenticated(*WHO)
async def update(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, TreatmentPut)
    return json_response(await request.app[TREATMENTS].update(identity, request.match_info["id"], body))


@operation("Delete", status=204)
@authenticated(*WHO)
async def delete(request: web.Request, identity: Identity) -> web.Response:
    await request.app[TREATMENTS].delete(identity, request.match_info["id"])
    return web.Response(status=204)


@operation("List intakes", query=IntakeQuery, response=ARRAY)
@authenticated(*WHO)
async def list_intakes(request: web.Request, identity: Identity) -> web.Response:
    query = parse(IntakeQuery, dict(request.query))
    return json_response(await request.app[INTAKES].list(identity, request.match_info["id"], query))


@operation("Answer intake", body=IntakeIn)
@authenticated("patient")
async def answer_intake(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, IntakeIn)
    return json_response(await request.app[INTAKES].answer(identity, request.match_info["id"], body))


@operation("Adherence")
@authenticated(*WHO)
async def adherence(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[INTAKES].adherence(identity, request.match_info["id"]))


@operation("Set timezone", body=TimezoneIn)
@authenticated()
async def set_timezone(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, TimezoneIn)
    return json_response(await request.app[TREATMENTS].set_timezone(identity, body.timezone))


def register(app: web.Application) -> None:
    app.router.add_get("/api/treatments/", list_treatments)
    app.router.add_post("/api/treatments/", create)
    app.router.add_get("/api/treatments/{id}/", get)
    app.router.add_put("/api/treatments/{id}/", update)
    app.router.add_delete("/api/treatments/{id}/", delete)
    app.router.add_get("/api/treatments/{id}/intakes/", list_intakes)
    app.router.add_post("/api/treatments/{id}/intakes/", answer_intake)
    app.router.add_get("/api/treatments/{id}/adherence/", adherence)
    app.router.add_put("/api/me/timezone", set_timezone)
