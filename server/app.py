"""The app factory: one aiohttp application hosting the Socket.IO server.

Used by `python -m server`, the Procfile and the tests alike. Each resource with a
life (database, background tasks) is one `cleanup_ctx` generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import aiohttp_cors
from aiohttp import web

import handlers
from rooms import access
from server.accounts.users import Users
from server.alerting.engine import AlertEngine
from server.alerting.escalation import alert_tasks_ctx
from server.alerting.store import Alerts
from server.auth.tokens import AuthService
from server.care.access_requests import AccessRequests
from server.care.audit import Audit
from server.care.inventory import Inventory
from server.care.prescriptions import Prescriptions
from server.care.records import Records
from server.care.units import CareUnits
from server.clock import Clock
from server.http.middleware import error_middleware
from server.inbox.notifier import Notifier
from server.iot.history import VitalsHistory
from server.iot.ingest import Ingest, ingest_ctx
from server.iot.links import DeviceLinks
from server.iot.registry import Devices
from server.keys import (
    ACCESS,
    ALERT_ENGINE,
    ALERTS,
    APPOINTMENTS,
    AUDIT,
    AUTH,
    CARE_UNITS,
    CLOCK,
    DB,
    DEVICE_LINKS,
    DEVICES,
    INGEST,
    INTAKES,
    INVENTORY,
    MQTT_BRIDGE,
    NOTIFIER,
    PRESCRIPTIONS,
    RECORDS,
    SETTINGS,
    SIO,
    SLOTS,
    SOCKET_AUTH,
    TREATMENTS,
    USERS,
    VITALS_HISTORY,
    WRITE_BEHIND,
)
from server.realtime.socket_auth import SocketAuth
from server.realtime.sockets import create_sio
from server.scheduling.appointments import Appointments
from server.scheduling.slots import Slots
from server.settings import Settings
from server.storage.db import Database, database_ctx
from server.storage.write_behind import WriteBehind
from server.treatments.intakes import Intakes
from server.treatments.service import Treatments

log = logging.getLogger(__name__)


def background(name: str, runner: Callable[[web.Application], Coroutine[Any, Any, None]]):
    """A cleanup_ctx that runs `runner(app)` as a task for the app's life and cancels it on exit."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(runner(app), name=name)
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx


async def devices_ctx(app: web.Application) -> AsyncIterator[None]:
    """Retention index, the offline sweeper, and the MQTT bridge when MQTT_URL is set."""
    await app[VITALS_HISTORY].ensure_retention()
    sweeper = asyncio.create_task(app[DEVICE_LINKS].run_sweeper(), name="device-sweeper")
    bridge = app.get(MQTT_BRIDGE)
    if bridge is not None:
        await bridge.start()
    yield
    if bridge is not None:
        await bridge.stop()
    sweeper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sweeper


async def write_behind_ctx(app: web.Application) -> AsyncIterator[None]:
    """Derived state (latest values, rollups, rule states, NEWS2) flushed periodically and at exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(app[WRITE_BEHIND].run(stop), name="write-behind")
    yield
    stop.set()
    try:
        await asyncio.wait_for(task, 10.0)  # its last flush
    except TimeoutError:
        log.error("the last derived-state flush did not finish within 10 s")


def _iot(app: web.Application, settings: Settings, db: Database, clock: Clock, sio) -> None:
    """Devices and vitals: one ingest pipeline, its subscribers in order (presence, rollups)."""
    app[WRITE_BEHIND] = WriteBehind(db, settings.derived_flush_ms / 1000)
    app[INGEST] = Ingest(db, clock, app[WRITE_BEHIND], sio)
    app[DEVICES] = Devices(db, clock, settings)
    app[DEVICE_LINKS] = DeviceLinks(db, clock, app[INGEST], sio, settings.device_heartbeat_timeout)
    app[VITALS_HISTORY] = VitalsHistory(db, clock, app[WRITE_BEHIND], settings.vitals_retention_days)
    app[INGEST].subscribe(app[VITALS_HISTORY].roll_up)
    if settings.mqtt_url:
        from server.iot.mqtt_bridge import MqttBridge
        app[MQTT_BRIDGE] = MqttBridge(app)


def _care_services(app: web.Application, settings: Settings, db: Database, clock: Clock) -> None:
    """Slots, appointments, treatments and intakes; their reminder loops run in every process."""
    app[SLOTS] = Slots(db, clock, settings.default_timezone)
    app[APPOINTMENTS] = Appointments(db, clock, app[NOTIFIER], app[SLOTS], settings.appointment_reminder_s)
    app[TREATMENTS] = Treatments(db, clock, app[NOTIFIER], app[USERS], settings.default_timezone)
    app[INTAKES] = Intakes(db, clock, app[NOTIFIER], app[TREATMENTS])
    app[PRESCRIPTIONS].on_delivered.append(app[TREATMENTS].from_prescription)
    tick = settings.reminder_tick_s
    app.cleanup_ctx.append(background("appointment-reminders", lambda app: app[APPOINTMENTS].run(tick)))
    app.cleanup_ctx.append(background("intake-reminders", lambda app: app[INTAKES].run(tick)))


def _cors(app: web.Application, settings: Settings) -> None:
    options = aiohttp_cors.ResourceOptions(allow_credentials=True, expose_headers="*",
                                           allow_headers="*", allow_methods="*")
    cors = aiohttp_cors.setup(app, defaults={origin: options for origin in settings.cors_origins})
    for route in list(app.router.routes()):
        # Socket.IO handles its own CORS (cors_allowed_origins); adding ours would clash.
        if not route.resource or route.resource.canonical.startswith("/socket.io"):
            continue
        cors.add(route)


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=4 * 1024 * 1024)
    clock = clock or Clock()
    db = Database()
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[DB] = db
    app[AUTH] = AuthService(settings, db, clock)
    app[USERS] = Users(db, clock)
    access.declare_indexes(db)
    sio = create_sio(settings)
    sio.attach(app)
    app[SIO] = sio
    app[SOCKET_AUTH] = SocketAuth(sio, app[AUTH], settings, clock)
    app[NOTIFIER] = Notifier(db, sio, clock)
    app[SOCKET_AUTH].join_user = app[NOTIFIER].join_user
    app[ACCESS] = AccessRequests(db, clock, app[NOTIFIER], sio)
    app[INVENTORY] = Inventory(db, clock, app[NOTIFIER])
    app[PRESCRIPTIONS] = Prescriptions(db, clock, app[NOTIFIER], app[INVENTORY])
    app[AUDIT] = Audit(db, clock)
    app[RECORDS] = Records(db, clock, app[NOTIFIER], app[AUDIT])
    _iot(app, settings, db, clock, sio)
    app[CARE_UNITS] = CareUnits(db, clock)
    app[ALERTS] = Alerts(db, clock, settings)
    app[ALERT_ENGINE] = AlertEngine(app, app[ALERTS])
    # After the iot subscribers (last_seen, rollups): stored readings → rules and NEWS2.
    app[INGEST].subscribe(app[ALERT_ENGINE].on_messages)
    app[INGEST].subscribe_device_events(app[ALERT_ENGINE].on_device_event)

    _care_services(app, settings, db, clock)
    handlers.register_all(app)
    _cors(app, settings)

    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(background("socket-expiry", lambda app: app[SOCKET_AUTH].run_expiry()))
    # Registered before ingest so that it stops after it: the last derived state is flushed.
    app.cleanup_ctx.append(write_behind_ctx)
    app.cleanup_ctx.append(ingest_ctx)
    app.cleanup_ctx.append(devices_ctx)
    app.cleanup_ctx.append(alert_tasks_ctx)
    # Ends expired grants and evicts their doctors from patient rooms (server/care/access_requests.py).
    app.cleanup_ctx.append(background("grant-sweeper", lambda app: app[ACCESS].run_sweeper()))
    return app
