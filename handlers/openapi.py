"""The contract: `GET /api/openapi.json` (OpenAPI 3.1, generated from the routes) and `GET /api/docs`."""

from __future__ import annotations

from aiohttp import web

from server.http import openapi
from server.http.middleware import json_response
from server.http.openapi import operation


def _document(app: web.Application) -> dict:
    return openapi.document(app)  # built per request (a few ms): rarely read, and never stale


@operation("This document (OpenAPI 3.1)")
async def spec(request: web.Request) -> web.Response:
    return json_response(_document(request.app))


@operation("A readable list of the operations (HTML)", response={"type": "string"}, content_type="text/html")
async def docs(request: web.Request) -> web.Response:
    return web.Response(text=openapi.page(_document(request.app)), content_type="text/html")


def register(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", spec)
    app.router.add_get("/api/docs", docs)
