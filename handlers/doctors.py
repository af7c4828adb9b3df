"""`GET /api/doctors/`: the doctors a user can contact, as in the earlier API (filter by speciality)."""

from __future__ import annotations

from aiohttp import web

from models.common import parse
from models.identity import Identity
from models.users import DoctorOut, DoctorsQuery
from server.accounts.users import full_name
from server.http.middleware import authenticated, json_response
from server.http.openapi import ARRAY, operation
from server.keys import USERS


@operation("List doctors", query=DoctorsQuery, response=ARRAY)
@authenticated()
async def list_doctors(request: web.Request, identity: Identity) -> web.Response:
    query = parse(DoctorsQuery, dict(request.query))
    docs = await request.app[USERS].doctors(query.speciality)
    return json_response([DoctorOut(id=d["_id"], name=full_name(d), email=d.get("email"),
                                    speciality=(d.get("profile") or {}).get("speciality")) for d in docs])


def register(app: web.Application) -> None:
    app.router.add_get("/api/doctors/", list_doctors)
