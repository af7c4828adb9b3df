"""One module per domain; each exposes `register(app)` adding its REST routes and socket events."""

from __future__ import annotations

from aiohttp import web

from handlers import alerts, auth, care_units, health, notifications, users

MODULES = (health, auth, users, notifications, alerts, care_units)


def register_all(app: web.Application) -> None:
    for module in MODULES:
        module.register(app)
