"""Medical records (doctors with a `records` grant write; patient and they read) and the audit trail."""

from __future__ import annotations

from aiohttp import web

from models.care import AuditQuery, RecordIn, RecordPatch
from models.common import parse
from models.identity import Identity
from server.http.middleware import authenticated, json_response, paged_response, read_body
from server.http.openapi import ARRAY, follow, operation
from server.keys import AUDIT, RECORDS


@operation("Create", body=RecordIn, status=201,
           links=follow("id", "records.get", "records.update"))
@authenticated()  # every role reaches the service, so refusals are audited too
async def create(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, RecordIn)
    doc = await request.app[RECORDS].create(identity, request.match_info["id"], body, request.remote)
    return json_response(doc, status=201)


@operation("List records")
@authenticated()  # every role reaches the service, so refusals are audited too
async def list_records(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[RECORDS].list(identity, request.match_info["id"], request.remote))


@operation("Get")
@authenticated()  # every role reaches the service, so refusals are audited too
async def get(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[RECORDS].get(identity, request.match_info["id"], request.remote))


@operation("Update", body=RecordPatch)
@authenticated()  # every role reaches the service, so refusals are audited too
async def update(request: web.Request, identity: Identity) -> web.Response:
    patch = await read_body(request, RecordPatch)
    return json_response(await request.app[RECORDS].update(identity, request.match_info["id"], patch,
                                                           request.remote))


@operation("My audit", query=AuditQuery, response=ARRAY, paged=True)
@authenticated("patient")
async def my_audit(request: web.Request, identity: Identity) -> web.Response:
    query = parse(AuditQuery, dict(request.query))
    items, more = await request.app[AUDIT].for_patient(
        identity.user_id, include_self=query.include_self, before=query.before, limit=query.limit,
        cursor=query.cursor)
    return paged_response(request, items, more)


def register(app: web.Application) -> None:
    app.router.add_get("/api/patients/{id}/records", list_records)
    app.router.add_post("/api/patients/{id}/records", create)
    app.router.add_get("/api/records/{id}", get)
    app.router.add_patch("/api/records/{id}", update)
    app.router.add_get("/api/audit/me", my_audit)
