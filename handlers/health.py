"""Liveness and readiness probes, and the Prometheus scrape (`/metrics`, behind a setting)."""

from __future__ import annotations

from aiohttp import web

from models.errors import Unauthorized
from server.http.middleware import json_response
from server.http.openapi import operation
from server.keys import DB, METRICS


@operation("The process is up and serving (no dependency is checked)")
async def health(request: web.Request) -> web.Response:
    """The process is up and serving, unless it knows it cannot recover (the embedded database
    could not be restarted): then 503, so a liveness probe restarts the server."""
    fatal = request.app[DB].outage.fatal
    if fatal:
        return json_response({"status": "failing", "reason": fatal}, status=503)
    return json_response({"status": "ok"})


@operation("The database answers a ping; 503 otherwise, so a load balancer stops routing here")
async def ready(request: web.Request) -> web.Response:
    """The database answers a ping; 503 otherwise, so a load balancer stops routing here."""
    if await request.app[DB].ping():
        return json_response({"status": "ready", "database": "ok"})
    return json_response({"status": "unavailable", "database": "down"}, status=503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format. 404 unless METRICS_TOKEN or METRICS_ALLOW is set, and to an address
    outside METRICS_ALLOW (nothing to discover); 401 without the right bearer token."""
    gate = request.app[METRICS].gate
    if not gate.enabled or not gate.admits_address(request.remote):
        raise web.HTTPNotFound()
    if not gate.admits_token(request.headers.get("Authorization", "")):
        raise Unauthorized("A valid metrics token is required", code="token_invalid")
    body, content_type = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


def register(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
