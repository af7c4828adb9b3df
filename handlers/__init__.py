"""One module per domain; each exposes `register(app)` adding its REST routes and socket events."""

from __future__ import annotations

from aiohttp.web import Application

from handlers import (
    access,
    alerts,
    auth,
    care_units,
    chat,
    chatbot,
    device_http,
    device_socket,
    device_ws,
    devices,
    doctors,
    fhir,
    health,
    lorawan,
    notifications,
    openapi,
    people,
    prescriptions,
    records,
    scheduling,
    symptoms,
    treatments,
    users,
    vitals,
    web,
)

MODULES = (health, auth, users, notifications, access, prescriptions, records, devices, device_socket, device_ws,
           device_http, lorawan, vitals, fhir, alerts, care_units,
           symptoms, doctors, chatbot, chat, scheduling, treatments, people, openapi,
           web)  # last: its catch-all must come after every API route


def register_all(app: Application) -> None:
    for module in MODULES:
        module.register(app)
