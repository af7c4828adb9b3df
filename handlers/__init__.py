"""One module per domain; each exposes `register(app)` adding its REST routes and socket events."""

from __future__ import annotations

from aiohttp import web

from handlers import access, auth, health, notifications, prescriptions, records, users

MODULES = (health, auth, users, notifications, access, prescriptions, records)


def register_all(app: web.Application) -> None:
    for module in MODULES:
        module.register(app)
