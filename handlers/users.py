"""Account administration: an admin creates doctors, pharmacists and admins, and lists users."""

from __future__ import annotations

from aiohttp import web

from models.common import parse
from models.errors import Invalid
from models.identity import Identity
from models.users import ROLES, StaffCreateIn, UserOut, UsersQuery
from server.http.middleware import authenticated, json_response, paged_response, read_body
from server.http.openapi import ARRAY, operation
from server.keys import USERS


@operation("Create user", body=StaffCreateIn, status=201)
@authenticated("admin")
async def create_user(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, StaffCreateIn)
    user = await request.app[USERS].create(
        username=body.username, password=body.password, role=body.role, profile=body.profile(),
        email=body.email, first_name=body.first_name, last_name=body.last_name, by=identity.user_id)
    return json_response(UserOut.from_doc(user), status=201)


@operation("List users", query=UsersQuery, response=ARRAY, paged=True)
@authenticated("admin")
async def list_users(request: web.Request, identity: Identity) -> web.Response:
    query = parse(UsersQuery, dict(request.query))
    if query.role is not None and query.role not in ROLES:
        raise Invalid("Unknown role", details=[{"field": "role", "message": f"one of {', '.join(ROLES)}"}])
    docs, more = await request.app[USERS].list(query.role, cursor=query.cursor, limit=query.limit)
    return paged_response(request, [UserOut.from_doc(d) for d in docs], more)


def register(app: web.Application) -> None:
    app.router.add_post("/api/users/", create_user)
    app.router.add_get("/api/users/", list_users)
