"""Liveness and readiness probes."""

from __future__ import annotations

from aiohttp import web

from server.http.middleware import json_response
from server.http.openapi import operation
from server.keys import DB


@operation("The process is up and serving (no dependency is checked)")
async def health(request: web.Request) -> web.Response:
    """The process is up and serving (no dependency is checked)."""
    return json_response({"status": "ok"})


@operation("The database answers a ping; 503 otherwise, so a load balancer stops routing here")
async def ready(request: web.Request) -> web.Response:
    """The database answers a ping; 503 otherwise, so a load balancer stops routing here."""
    if await request.app[DB].ping():
        return json_response({"status": "ready", "database": "ok"})
    return json_response({"status": "unavailable", "database": "down"}, status=503)


def register(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
