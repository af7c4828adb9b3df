"""The inbox over REST and sockets: list (unread, type, paginated by seq), mark one or all read.

Every user reads only their own inbox (the query always filters on the token's user id,
so another user's notification id is a 404). Marking read is announced to the user's
other devices by the notifier (`notification:read` + `notification:unread_count`).
"""

from __future__ import annotations

from aiohttp import web

from models.common import parse
from models.identity import Identity
from models.notifications import MarkAllReadIn, MarkReadIn, NotificationQuery
from server.http.middleware import authenticated, json_response
from server.http.openapi import operation
from server.keys import CLOCK, NOTIFIER, SIO
from server.realtime import events
from server.realtime.sockets import on


@operation("List notifications", query=NotificationQuery)
@authenticated()
async def list_notifications(request: web.Request, identity: Identity) -> web.Response:
    query = parse(NotificationQuery, dict(request.query))
    return json_response(await request.app[NOTIFIER].list(
        identity.user_id, unread=query.unread, type=query.type, before_seq=query.before_seq, limit=query.limit))


@operation("Mark read")
@authenticated()
async def mark_read(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[NOTIFIER].mark_read(identity.user_id, request.match_info["id"]))


@operation("Mark all read")
@authenticated()
async def mark_all_read(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[NOTIFIER].mark_all_read(identity.user_id))


def register(app: web.Application) -> None:
    app.router.add_get("/api/notifications", list_notifications)
    app.router.add_post("/api/notifications/read-all", mark_all_read)
    app.router.add_post("/api/notifications/{id}/read", mark_read)
    sio, clock, notifier = app[SIO], app[CLOCK], app[NOTIFIER]

    @on(sio, events.NOTIFICATION_MARK_READ, MarkReadIn, clock)
    async def on_mark_read(sid: str, identity: Identity, payload: MarkReadIn) -> dict:
        return await notifier.mark_read(identity.user_id, payload.id)

    @on(sio, events.NOTIFICATION_MARK_ALL_READ, MarkAllReadIn, clock)
    async def on_mark_all_read(sid: str, identity: Identity, payload: MarkAllReadIn) -> dict:
        return await notifier.mark_all_read(identity.user_id)
