"""The symptom checker (`POST /api/symptoms/`, as in the earlier API) and its model card."""

from __future__ import annotations

from aiohttp import web

from models.identity import Identity
from models.symptoms import SymptomCheckIn
from server.http.middleware import authenticated, json_response, read_body
from server.http.openapi import operation
from server.keys import SYMPTOMS


@operation("Check", body=SymptomCheckIn)
@authenticated("patient", "doctor")
async def check(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, SymptomCheckIn)
    return json_response(await request.app[SYMPTOMS].check(identity, body))


@operation("Model card")
@authenticated()
async def model_card(request: web.Request, identity: Identity) -> web.Response:
    return json_response(request.app[SYMPTOMS].card())


def register(app: web.Application) -> None:
    app.router.add_post("/api/symptoms/", check)
    app.router.add_get("/api/symptoms/model", model_card)
