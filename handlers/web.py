"""The web app (web/, built into web/dist by scripts/run.sh and scripts/test.sh) served at `/`.

- `/assets/<name>`: Vite's content-hashed files, cached for a year (`immutable`): a new build
  has new names.
- Any other GET outside the server's own prefixes is a client-side route: `index.html`, with
  `Cache-Control: no-cache` so a new build is picked up at once. Files at the root of dist/
  (none today besides index.html) are served as they are, also `no-cache`.
- The server's prefixes (`/api`, `/socket.io`, `/ws`, `/fhir`, `/health`, `/ready`,
  `/metrics`) are never shadowed: an unknown path under them stays a JSON 404.
- Not built: 503 with a page saying how to build it.

Registered last (handlers/__init__.py) so every API route is matched before the fallback.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from aiohttp import web

log = logging.getLogger(__name__)

DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
RESERVED = ("/api", "/socket.io", "/ws", "/fhir", "/health", "/ready", "/metrics")
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Fadjma: web app not built</title>
<h1>The web app is not built</h1>
<p>The API is running. To build the dashboards, run <code>scripts/run.sh</code> (it builds them when
out of date) or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload.</p></html>"""


def reserved(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in RESERVED)


def add_routes(app: web.Application, dist: Path) -> None:
    assets = dist / "assets"

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = assets / name
        if not _SAFE_NAME.match(name) or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": IMMUTABLE})

    async def page(request: web.Request) -> web.StreamResponse:
        path = request.path
        if reserved(path):
            raise web.HTTPNotFound()
        if request.method not in ("GET", "HEAD"):
            raise web.HTTPNotFound()
        name = path.lstrip("/")
        if name and "/" not in name and _SAFE_NAME.match(name) and name != "index.html" and (dist / name).is_file():
            return web.FileResponse(dist / name, headers={"Cache-Control": NO_CACHE})
        index = dist / "index.html"
        if not index.is_file():
            return web.Response(status=503, text=NOT_BUILT, content_type="text/html",
                                headers={"Cache-Control": "no-store", "Retry-After": "30"})
        return web.FileResponse(index, headers={"Cache-Control": NO_CACHE, "Content-Type": "text/html; charset=utf-8"})

    app.router.add_get("/assets/{name}", asset)
    # The writing methods too, so an unknown POST stays a 404 (a GET-only catch-all would turn
    # it into 405). Not "*": aiohttp_cors refuses a "*" route beside its preflight handler.
    app.router.add_get("/{tail:.*}", page)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        app.router.add_route(method, "/{tail:.*}", page)


def register(app: web.Application) -> None:
    add_routes(app, DIST)
