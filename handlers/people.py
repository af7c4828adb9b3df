"""`GET /api/people/names?ids=`: display names for the ids the caller has a care relation with
(rooms/relations.py decides; the others are simply absent), so screens show names, not short ids."""

from __future__ import annotations

from aiohttp import web

from models.common import parse
from models.identity import Identity
from models.users import NamesOut, NamesQuery
from server.http.middleware import authenticated, json_response
from server.http.openapi import operation
from server.keys import USERS


@operation("Display names of related people (others are absent)", query=NamesQuery, response=NamesOut)
@authenticated()
async def names(request: web.Request, identity: Identity) -> web.Response:
    query = parse(NamesQuery, dict(request.query))
    return json_response({"names": await request.app[USERS].names_for(identity, query.id_list())})


def register(app: web.Application) -> None:
    app.router.add_get("/api/people/names", names)
