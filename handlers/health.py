"""Liveness and readiness probes."""

from __future__ import annotations

from aiohttp import web

from server.http.middleware import json_response
from server.keys import DB


async def health(request: web.Request) -> web.Response:
    """The process is up and serving, unless it knows it cannot recover (the embedded database
    could not be restarted): then 503, so a liveness probe restarts the server."""
    fatal = request.app[DB].outage.fatal
    if fatal:
        return json_response({"status": "failing", "reason": fatal}, status=503)
    return json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """The database answers a ping; 503 otherwise, so a load balancer stops routing here."""
    if await request.app[DB].ping():
        return json_response({"status": "ready", "database": "ok"})
    return json_response({"status": "unavailable", "database": "down"}, status=503)


def register(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
