"""The app factory: one aiohttp application hosting the Socket.IO server.

Used by `python -m server`, the Procfile and the tests alike. Each resource with a
life (database, background tasks) is one `cleanup_ctx` generator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp_cors
from aiohttp import web

import handlers
from models.users import ROLES
from rooms import access
from rooms.names import role_room
from server import jobs
from server.accounts.users import Users
from server.alerting.engine import AlertEngine
from server.alerting.store import Alerts
from server.auth.tokens import AuthService
from server.care.access_requests import SWEEP_EVERY, AccessRequests
from server.care.audit import Audit
from server.care.inventory import Inventory
from server.care.oncall import OnCallRota
from server.care.prescriptions import Prescriptions
from server.care.records import Records
from server.care.units import CareUnits
from server.clock import Clock
from server.fhir.service import Fhir
from server.http import headers, protocol
from server.http.middleware import error_middleware, polling_limit
from server.http.remotes import TrustedProxies
from server.inbox.notifier import Notifier
from server.iot.history import VitalsHistory
from server.iot.ingest import Ingest, ingest_ctx
from server.iot.links import DeviceLinks
from server.iot.mqtt_bridge import MqttBridge
from server.iot.registry import CACHE_SECONDS as DEVICE_CACHE_S
from server.iot.registry import Devices
from server.iot.vitals_store import VitalsStore
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
    FHIR,
    INGEST,
    INTAKES,
    INVENTORY,
    METRICS,
    MQTT_BRIDGE,
    NOTIFIER,
    ONCALL,
    PRESCRIPTIONS,
    RECORDS,
    RIGHTS,
    SETTINGS,
    SIO,
    SLOTS,
    SOCKET_AUTH,
    SYMPTOMS,
    THROTTLE,
    TREATMENTS,
    USERS,
    VITALS_HISTORY,
    WRITE_BEHIND,
)
from server.logs import redact_bad_requests
from server.ops.metrics import Gate, Metrics, exceptions_ctx, sockets_by_role
from server.ops.throttle import CONNECTIONS, DEVICE_DATA, SOCKET_EVENTS, LoginGuard, Throttle, writes_middleware
from server.realtime import events
from server.realtime.socket_auth import SocketAuth
from server.realtime.sockets import close_all, create_sio
from server.scheduling.appointments import Appointments
from server.scheduling.slots import Slots
from server.settings import Settings
from server.storage.db import Database, database_ctx
from server.storage.outage import Outage
from server.storage.write_behind import WriteBehind
from server.symptoms.service import SymptomChecker
from server.treatments.intakes import Intakes
from server.treatments.service import Treatments

log = logging.getLogger(__name__)


def write_behind_ctx(derived: WriteBehind):
    """Derived state (latest values, rollups, rule states, NEWS2) flushed periodically and at exit."""

    async def ctx(_app) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(derived.run(stop), name="write-behind")
        yield
        stop.set()
        try:
            await asyncio.wait_for(task, 10.0)  # its last flush
        except TimeoutError:
            log.error("the last derived-state flush did not finish within 10 s")

    return ctx


def devices_ctx(history: VitalsHistory, links: DeviceLinks, bridge: MqttBridge | None):
    """Retention (rows' TTL index, packs' periodic pass), presence reset, the offline sweeper, and
    the MQTT bridge when MQTT_URL is set."""

    async def ctx(_app) -> AsyncIterator[None]:
        await history.ensure_retention()
        await links.reset_presence()
        sweeper = asyncio.create_task(jobs.every("device-sweeper", links.sweep_every, links.sweep),
                                      name="device-sweeper")
        retention = asyncio.create_task(jobs.every("vitals-retention", 600, history.purge_expired, first_now=True),
                                        name="vitals-retention")
        if bridge is not None:
            await bridge.start()
        yield
        if bridge is not None:
            await bridge.stop()
        await jobs.stop(sweeper)
        await jobs.stop(retention)
        await links.release()

    return ctx


def _chat(app: web.Application, settings: Settings, db: Database, clock: Clock, notifier: Notifier,
          socket_auth: SocketAuth, latest_vitals, treatments, appointments):
    """The chatbot (Gemini or offline, grounded in the caller's own data) and chat between people;
    returns the chat's presence context."""
    from server.chat.presence import Presence
    from server.chat.service import Chat, presence_ctx
    from server.chatbot.gemini import Gemini
    from server.chatbot.grounding import Grounding
    from server.chatbot.history import ChatbotHistory
    from server.chatbot.ratelimit import PerUserLimit
    from server.chatbot.service import Chatbot
    from server.keys import CHAT, CHATBOT

    gemini = (Gemini(settings.google_api_key, settings.gemini_model, settings.gemini_base_url,
                     settings.chatbot_timeout_s) if settings.google_api_key else None)
    # The assistant's grounding reads the caller's running treatments and next appointment too.
    grounding = Grounding(db, clock, latest_vitals, treatments_hook=treatments.running_for,
                          appointment_hook=appointments.next_for)
    app[CHATBOT] = Chatbot(ChatbotHistory(db, clock), grounding, gemini,
                           PerUserLimit(settings.chatbot_rate_limit, settings.redis_url), notifier, clock,
                           settings.chatbot_history_turns)
    chat = app[CHAT] = Chat(db, clock, notifier, Presence(db, clock, settings.chat_presence_ttl_s))
    socket_auth.connect_hooks.append(chat.on_connect)
    socket_auth.disconnect_hooks.append(chat.on_disconnect)
    return presence_ctx(chat, settings.chat_presence_ttl_s / 3)


def _care_services(app: web.Application, settings: Settings, db: Database, clock: Clock) -> None:
    """Slots, appointments, treatments and intakes (their reminder passes: the cleanup list below)."""
    app[SLOTS] = Slots(db, clock, settings.default_timezone)
    app[APPOINTMENTS] = Appointments(db, clock, app[NOTIFIER], app[SLOTS], settings.appointment_reminder_s)
    app[TREATMENTS] = Treatments(db, clock, app[NOTIFIER], app[USERS], settings.default_timezone)
    app[INTAKES] = Intakes(db, clock, app[NOTIFIER], app[TREATMENTS])
    app[PRESCRIPTIONS].on_delivered.append(app[TREATMENTS].from_prescription)


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
    """Build every service with its dependencies, register the handlers and the cleanup contexts.

    The only place that writes `app[KEY]`; services never read the app (tests/test_house.py)."""
    # The client's address first (behind TRUSTED_PROXIES), so every later reader of request.remote sees it.
    redact_bad_requests()  # an oversized header's value never reaches the log
    protocol.install()  # aiohttp's own answers (unparsable requests) in the error envelope too
    metrics = Metrics(Gate(settings.metrics_token, settings.metrics_allow))
    app = web.Application(middlewares=[TrustedProxies(settings.trusted_proxies).middleware, error_middleware,
                                       metrics.middleware()],
                          client_max_size=4 * 1024 * 1024)
    app[METRICS] = metrics
    app.on_response_prepare.append(headers.on_prepare)  # security headers, no-store on API data
    clock = clock or Clock()
    db = Database(outage=Outage(clock))  # the database away: 503 retry_later, logged once per interval
    app[SETTINGS], app[CLOCK], app[DB] = settings, clock, db
    access.declare_indexes(db)
    app[RIGHTS] = access.Rights(db, clock)

    # Platform: accounts, sockets, the inbox.
    auth = app[AUTH] = AuthService(settings, db, clock)
    throttle = app[THROTTLE] = Throttle(settings, clock)
    app.middlewares.append(writes_middleware(throttle, auth.subject))
    app[USERS] = Users(db, clock, LoginGuard(throttle))

    async def event_limit(namespace: str, caller: str) -> None:
        device = namespace == events.DEVICES_NAMESPACE
        await throttle.take(DEVICE_DATA if device else SOCKET_EVENTS, caller, "events")

    async def connect_limit(family: str) -> None:
        await throttle.take(CONNECTIONS, family, "connections with this token")

    sio = app[SIO] = create_sio(settings, event_limit=event_limit, event_observer=metrics.observe_event,
                                outage=db.outage)
    sio.emit = metrics.count_emits(sio.emit)  # every way out counted by event name (before any service holds it)
    metrics.scraped.sockets = sockets_by_role(sio.manager, ROLES, role_room)
    sio.attach(app)
    app.middlewares.append(polling_limit("/socket.io/", sio.eio.max_http_buffer_size))  # 413, not a hang
    socket_auth = app[SOCKET_AUTH] = SocketAuth(sio, auth, settings, clock, connect_limit)
    auth.on_revoke.append(socket_auth.revoked)  # a revoked session keeps no socket, on any process
    notifier = app[NOTIFIER] = Notifier(db, sio, clock, metrics)
    socket_auth.join_user = notifier.join_user

    # Care.
    grants = app[ACCESS] = AccessRequests(db, clock, notifier, sio)
    inventory = app[INVENTORY] = Inventory(db, clock, notifier)
    app[PRESCRIPTIONS] = Prescriptions(db, clock, notifier, inventory)
    audit = app[AUDIT] = Audit(db, clock)
    app[RECORDS] = Records(db, clock, notifier, audit, allow_http=settings.allow_http_attachments)
    app[CARE_UNITS] = CareUnits(db, clock, sio)
    app[ONCALL] = OnCallRota(db, clock, notifier, app[CARE_UNITS])

    # IoT: one ingest pipeline.
    derived = app[WRITE_BEHIND] = WriteBehind(db, settings.derived_flush_ms / 1000, settings.derived_statements_per_s)
    devices = app[DEVICES] = Devices(db, clock, settings)
    store = VitalsStore(db, clock)
    ingest = app[INGEST] = Ingest(db, clock, derived, sio, registry=devices, metrics=metrics, store=store)
    metrics.scraped.depths.update({"ingest": ingest.queued, "write_behind": derived.depth})
    links = app[DEVICE_LINKS] = DeviceLinks(db, clock, ingest, devices, sio, settings.device_heartbeat_timeout,
                                            notifier=notifier, offline_min_s=settings.device_offline_min_s)
    history = app[VITALS_HISTORY] = VitalsHistory(db, clock, derived, settings.vitals_retention_days, store)
    bridge = None
    if settings.mqtt_url:
        bridge = app[MQTT_BRIDGE] = MqttBridge(
            settings, devices, links, ingest, outage=db.outage,
            limit=lambda device_id: throttle.take(DEVICE_DATA, device_id, "messages from this device"))

    # Alerting: reads iot's readings.
    alerts = app[ALERTS] = Alerts(db, clock, settings, metrics)
    app[FHIR] = Fhir(history, app[USERS], alerts, app[RIGHTS], clock)  # reads through history, users, alerts
    engine = app[ALERT_ENGINE] = AlertEngine(db, clock, settings, derived, ingest.latest, notifier, alerts,
                                             measured=history.readings, seen_here=links.seen_here)

    # The ingest pipeline's subscribers, in this order after each durable commit: device
    # presence (last_seen), hourly rollups, then rules and NEWS2 over the stored readings.
    for subscriber in (links.on_readings, history.roll_up, engine.on_messages):
        ingest.subscribe(subscriber)
    ingest.subscribe_device_events(engine.on_device_event)

    # Symptom checker: a doctor may run it for a patient who granted `records`.
    symptoms = app[SYMPTOMS] = SymptomChecker(settings.symptoms_model_dir or settings.data_dir / "symptoms",
                                              app[USERS], app[RIGHTS].may, clock)

    _care_services(app, settings, db, clock)
    chat_presence_ctx = _chat(app, settings, db, clock, notifier, socket_auth, ingest.latest, app[TREATMENTS],
                              app[APPOINTMENTS])
    handlers.register_all(app)
    _cors(app, settings)
    app.on_shutdown.append(lambda _app: close_all(sio))  # a restart must not wait for open tabs
    app.on_shutdown.append(lambda _app: links.close_websockets())  # nor for raw WebSocket devices

    # Started in this order, stopped in the reverse one.
    app.cleanup_ctx.extend([
        exceptions_ctx(metrics),  # counts every exception logged with a traceback
        database_ctx(db, settings),
        jobs.task_ctx("socket-expiry", socket_auth.run_expiry),
        write_behind_ctx(derived),  # before ingest, so it stops after it: the last derived state is flushed
        ingest_ctx(ingest),
        devices_ctx(history, links, bridge),
        # Drops cached device records changed by any process (server/iot/registry.py).
        jobs.periodic_ctx("device-cache", DEVICE_CACHE_S, devices.refresh, first_now=True),
        jobs.periodic_ctx("alert-ticks", settings.alert_tick_s, engine.escalation.run_once,
                          engine.devices.scan_offline, engine.units.summaries_due, engine.dispatch.redeliver,
                          engine.retrospective_due),
        # Ends expired grants and evicts their doctors from patient rooms.
        jobs.periodic_ctx("grant-sweeper", SWEEP_EVERY, grants.sweep, first_now=True),
        # Loads the symptom model, or trains it when missing, in a thread: the server answers meanwhile.
        jobs.task_ctx("symptom-model", symptoms.run),
        chat_presence_ctx,  # refreshes this process's chat presence; leaves it at exit
        # Appointment and intake reminders, claimed once across processes.
        jobs.periodic_ctx("reminders", settings.reminder_tick_s, app[APPOINTMENTS].remind_due,
                          app[INTAKES].remind_due),
    ])
    return app
