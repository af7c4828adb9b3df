"""Access requests and grants: a doctor asks, the patient decides, the patient revokes."""

from __future__ import annotations

from aiohttp import web

from models.care import AccessRequestIn, DecisionIn, GrantQuery, RequestQuery
from models.common import parse
from models.identity import Identity
from server.http.middleware import authenticated, json_response, read_body
from server.http.openapi import ARRAY, follow, operation
from server.keys import ACCESS


@operation("Create request", body=AccessRequestIn, status=201,
           links=follow("id", "access.approve", "access.reject"))
@authenticated("doctor")
async def create_request(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, AccessRequestIn)
    return json_response(await request.app[ACCESS].create(identity, body), status=201)


@operation("List requests", query=RequestQuery, response=ARRAY)
@authenticated("doctor", "patient")
async def list_requests(request: web.Request, identity: Identity) -> web.Response:
    query = parse(RequestQuery, dict(request.query))
    return json_response(await request.app[ACCESS].list(identity, query.status))


@operation("Approve", body=DecisionIn)
@authenticated("patient")
async def approve(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, DecisionIn)
    return json_response(await request.app[ACCESS].decide(identity, request.match_info["id"], True, body.reason))


@operation("Reject", body=DecisionIn)
@authenticated("patient")
async def reject(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, DecisionIn)
    return json_response(await request.app[ACCESS].decide(identity, request.match_info["id"], False, body.reason))


@operation("List grants", query=GrantQuery, response=ARRAY)
@authenticated("doctor", "patient")
async def list_grants(request: web.Request, identity: Identity) -> web.Response:
    query = parse(GrantQuery, dict(request.query))
    return json_response(await request.app[ACCESS].grants(identity, query.include_ended))


@operation("Revoke")
@authenticated("patient")
async def revoke(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[ACCESS].revoke(identity, request.match_info["id"]))


def register(app: web.Application) -> None:
    app.router.add_get("/api/access-requests", list_requests)
    app.router.add_post("/api/access-requests", create_request)
    app.router.add_post("/api/access-requests/{id}/approve", approve)
    app.router.add_post("/api/access-requests/{id}/reject", reject)
    app.router.add_get("/api/grants", list_grants)
    app.router.add_post("/api/grants/{id}/revoke", revoke)
