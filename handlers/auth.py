"""Authentication routes, compatible with the earlier system's simplejwt endpoints.

POST /api/token/ → {access, refresh}; POST /api/token/refresh/ → rotated pair;
POST /api/token/revoke/ ends a session (its whole token family); GET /api/me;
POST /api/register/ lets a patient create their own account.
"""

from __future__ import annotations

from aiohttp import web

from models.errors import Invalid
from models.identity import Identity
from models.users import LoginIn, RefreshIn, RegisterIn, RevokeIn, UserOut
from server.http.middleware import authenticated, bearer, json_response, read_body
from server.http.openapi import operation
from server.keys import AUTH, USERS


@operation("Log in: access and refresh tokens", errors=(401,), body=LoginIn)
async def obtain_token(request: web.Request) -> web.Response:
    body = await read_body(request, LoginIn)
    user = await request.app[USERS].check_login(body.username, body.password, request.remote)
    return json_response(await request.app[AUTH].issue_pair(user["_id"], user["role"]))


@operation("Rotate the refresh token: new access and refresh tokens", errors=(401,), body=RefreshIn)
async def refresh_token(request: web.Request) -> web.Response:
    body = await read_body(request, RefreshIn)
    return json_response(await request.app[AUTH].refresh(body.refresh, request.app[USERS].active_role))


@operation("Log out: revoke a token family", errors=(401,), body=RevokeIn)
async def revoke_token(request: web.Request) -> web.Response:
    """Log out: revoke the family of the given refresh token, or of the bearer access token."""
    body = await read_body(request, RevokeIn)
    auth = request.app[AUTH]
    if body.refresh:
        claims = auth.decode(body.refresh, "refresh")
    elif bearer(request):
        claims = auth.decode(bearer(request), "access")
    else:
        raise Invalid("Give a refresh token in the body or an access token as Bearer",
                      details=[{"field": "refresh", "message": "required without a Bearer token"}])
    await auth.revoke_family(claims["fam"])
    return json_response({"revoked": True})


@operation("The signed-in user", response=UserOut)
@authenticated()
async def me(request: web.Request, identity: Identity) -> web.Response:
    user = await request.app[USERS].get(identity.user_id)
    return json_response(UserOut.from_doc(user))


@operation("Register a patient account", body=RegisterIn, status=201, errors=(409,))
async def register_patient(request: web.Request) -> web.Response:
    body = await read_body(request, RegisterIn)
    user = await request.app[USERS].create(
        username=body.username, password=body.password, role="patient", profile=body.profile(),
        email=body.email, first_name=body.first_name, last_name=body.last_name)
    return json_response(UserOut.from_doc(user), status=201)


def register(app: web.Application) -> None:
    app.router.add_post("/api/token/", obtain_token)
    app.router.add_post("/api/token/refresh/", refresh_token)
    app.router.add_post("/api/token/revoke/", revoke_token)
    app.router.add_get("/api/me", me)
    app.router.add_post("/api/register/", register_patient)
