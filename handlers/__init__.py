"""One module per domain; each exposes `register(app)` adding its REST routes and socket events."""

from __future__ import annotations

from aiohttp import web

from handlers import (
    access,
    alerts,
    auth,
    care_units,
    device_http,
    device_socket,
    device_ws,
    devices,
    fhir,
    health,
    lorawan,
    notifications,
    prescriptions,
    records,
    scheduling,
    treatments,
    users,
    vitals,
)

MODULES = (health, auth, users, notifications, access, prescriptions, records, devices, device_socket, device_ws,
           device_http, lorawan, vitals, fhir, alerts, care_units,
           scheduling, treatments)


def register_all(app: web.Application) -> None:
    for module in MODULES:
        module.register(app)
