"""The Socket.IO server and the one acknowledgement envelope every event answers with.

`on(sio, name, model, roles=...)` registers a handler that receives `(sid, caller, payload)`
and whose return value becomes `{"ok": true, "data": ...}`; a `DomainError` becomes
`{"ok": false, "error": {"code", "message", "details"}}`. The caller (a user's Identity, or
a device on `/devices`) comes only from the socket session written at the handshake,
never from the payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from pydantic import BaseModel

from models.common import parse
from models.errors import DomainError, Forbidden, Invalid, NotFound, Unauthorized
from models.identity import Identity
from server.clock import Clock
from server.logs import request_id, socket_id
from server.realtime import events, fastpath, sio_json
from server.realtime.sio_manager import SessionFastManager, SessionRedisManager, SessionRoomAwareRedisManager
from server.settings import Settings
from server.storage.outage import Outage

log = logging.getLogger(__name__)

EventHandler = Callable[[str, Identity, Any], Awaitable[Any]]
# (namespace, caller key) -> raises RateLimited when the caller sent too much (server/ops/throttle.py).
EventLimit = Callable[[str, str], Awaitable[None]]
# (namespace, event name, ack envelope): counts events and error codes (server/ops/metrics.py).
EventObserver = Callable[[str, str, dict], None]


def create_manager(settings: Settings) -> socketio.AsyncManager:
    """One process: FastManager. With REDIS_URL: rooms crossing processes only when they must
    (REDIS_MANAGER=rooms, default), or python-socketio's stock broadcast-everything manager. Each with
    RevokedSessions (sio_manager.py): a revoked session's sockets are disconnected on every process."""
    if not settings.redis_url:
        return SessionFastManager()
    if settings.redis_manager == "broadcast":
        return SessionRedisManager(settings.redis_url)
    return SessionRoomAwareRedisManager(settings.redis_url)


def same_origin_or(listed: tuple[str, ...]) -> Callable[[str, dict], bool]:
    """Socket.IO origin check: the listed origins, plus the server's own (the web app it serves at `/`).

    An explicit list in python-engineio would refuse the page's own origin (it only adds it by
    itself when no list is given)."""
    allowed = frozenset(listed)

    def check(origin: str, environ: dict) -> bool:
        if origin in allowed:
            return True
        scheme = environ.get("HTTP_X_FORWARDED_PROTO", environ.get("wsgi.url_scheme", "http")).split(",")[0].strip()
        host = environ.get("HTTP_X_FORWARDED_HOST", environ.get("HTTP_HOST", "")).split(",")[0].strip()
        return bool(host) and origin == f"{scheme}://{host}"

    return check


def create_sio(settings: Settings, *, json_module: Any = sio_json, manager: socketio.AsyncManager | None = None,
               fast_path: bool | None = None, event_limit: EventLimit | None = None,
               event_observer: EventObserver | None = None, outage: Outage | None = None) -> socketio.AsyncServer:
    """The Socket.IO server; `json_module`/`manager`/`fast_path` are overridable so bench can measure each
    lever. The fast path (server/realtime/fastpath) is on unless SIO_FAST_PATH=0."""
    origins: Any = "*" if settings.cors_origins == ("*",) else same_origin_or(settings.cors_origins)
    sio = socketio.AsyncServer(
        async_mode="aiohttp", cors_allowed_origins=origins, client_manager=manager or create_manager(settings),
        json=json_module, logger=False, engineio_logger=False,
        serializer=sio_json.EventPacket if json_module is sio_json else "default",
    )
    if settings.sio_fast_path if fast_path is None else fast_path:
        fastpath.install(sio)
    sio.event_limit = event_limit  # read by every `on` handler, per caller
    sio.event_observer = event_observer  # (namespace, event, ack envelope) after each event: server/ops/metrics.py
    sio.outage = outage  # the database away: `retry_later` acks, logged once per interval
    if json_module is sio_json:
        sio.packet_class.json = sio_json.packets  # bad JSON or shape: an answerable event (sio_json.MALFORMED)
    for namespace in ("/", events.DEVICES_NAMESPACE, events.CHATBOT_NAMESPACE):  # every namespace answers
        sio.on("*", functools.partial(_unknown_or_malformed, sio, namespace), namespace=namespace)
    return sio


async def _unknown_or_malformed(sio: socketio.AsyncServer, namespace: str, event: Any, sid: str, *args: Any) -> dict:
    """Every event without a handler is answered: unreadable JSON, or a name nobody listens to."""
    if event == sio_json.MALFORMED:
        reason = args[0] if args and isinstance(args[0], str) else "The packet could not be read"
        code = args[1] if len(args) > 1 and args[1] == "invalid_packet" else "invalid_json"
        log.info("malformed packet from %s: %s", sid[:8], reason)
        envelope, name = fail(Invalid(reason, code=code)), "(malformed)"
    else:
        log.info("unknown event from %s", sid[:8])
        envelope, name = fail(NotFound("No such event", code="unknown_event",
                                       details={"event": str(event)[:64]})), "(unknown)"
    if (observe := getattr(sio, "event_observer", None)) is not None:
        observe(namespace, name, envelope)  # never the client's event name as a label: unbounded
    return envelope


def ok(data: Any = None) -> dict:
    return {"ok": True, "data": data}


def fail(exc: DomainError) -> dict:
    return {"ok": False, "error": exc.to_body()}


INTERNAL = {"ok": False, "error": {"code": "internal", "message": "Internal server error", "details": None}}


async def acked(name: str, run: Callable[[], Awaitable[Any]],
                on_refused: Callable[[DomainError], Awaitable[None]] | None = None,
                outage: Outage | None = None) -> dict:
    """Run one event and answer with the envelope: the one place socket errors are translated
    (the database away is `retry_later`, with `details.retry_after`)."""
    try:
        return ok(await run())
    except DomainError as exc:
        log.info("event %s refused: %s", name, exc.code)
        if on_refused is not None:
            await on_refused(exc)
        return fail(exc)
    except Exception as exc:
        if outage is not None and (away := outage.translate(exc, f"event {name}")) is not None:
            return fail(away)
        log.exception("event %s failed", name)
        return INTERNAL


@dataclass(frozen=True)
class Callers:
    """How the sockets of one namespace prove who is calling.

    `resolve(sid, session)` returns (caller, role) or raises a DomainError (the ack's error);
    `on_refused(sid, error)` runs after a refusal (the device namespace cuts a revoked device off)."""

    namespace: str
    resolve: Callable[[str, dict], Awaitable[tuple[Any, str]]]
    on_refused: Callable[[str, DomainError], Awaitable[None]] | None = None


def users(clock: Clock, *, allow_expired: bool = False) -> Callers:
    """The `/` namespace: the Identity saved at the handshake, refused once its token expired."""

    async def resolve(sid: str, session: dict) -> tuple[Identity, str]:
        identity: Identity | None = session.get("identity")
        if identity is None:
            raise Unauthorized("This socket is not authenticated", code="token_missing")
        if not allow_expired and identity.exp <= clock.timestamp():
            raise Unauthorized("The token has expired: send auth:refresh", code="token_expired")
        return identity, identity.role

    return Callers("/", resolve)


def on(sio: socketio.AsyncServer, name: str, model: type[BaseModel] | None, clock: Clock | None = None, *,
       roles: tuple[str, ...] = (), allow_expired: bool = False,
       callers: Callers | None = None) -> Callable[[EventHandler], EventHandler]:
    """Register `fn(sid, caller, payload)` for event `name`: who is calling (from the session only),
    `roles` allowed (403 `role_forbidden` otherwise), payload validation, and the ack envelope.

    One decorator for both namespaces: users by default (`clock` required), devices with
    `callers=` (handlers/device_socket.py)."""
    if callers is None:
        assert clock is not None, "the users' namespace needs the clock (token expiry)"
        callers = users(clock, allow_expired=allow_expired)
    ns = callers.namespace
    tag = "sio" if ns == "/" else ns.strip("/")[:3]

    def wrap(fn: EventHandler) -> EventHandler:
        @functools.wraps(fn)
        async def handler(sid: str, *args: Any) -> dict:
            request_id.set(f"{tag}:{sid[:8]}")
            socket_id.set(sid)
            data = args[0] if args else None

            async def run() -> Any:
                if len(args) > 1:  # emit(name, a, b, c): python-socketio would raise a TypeError, unanswered
                    raise Invalid(f"An event takes one payload argument, not {len(args)}", code="invalid_packet")
                caller, role = await callers.resolve(sid, await sio.get_session(sid, namespace=ns))
                if (limit := getattr(sio, "event_limit", None)) is not None:
                    await limit(ns, caller.user_id if isinstance(caller, Identity) else str(caller.get("_id")))
                payload = parse(model, data) if model is not None else data  # a bad payload is `invalid` for all
                if roles and role not in roles:
                    raise Forbidden(f"This action is for: {', '.join(roles)}", code="role_forbidden")
                return await fn(sid, caller, payload)

            on_refused = None
            if callers.on_refused is not None:
                async def on_refused(exc: DomainError) -> None:
                    await callers.on_refused(sid, exc)

            envelope = await acked(name, run, on_refused, getattr(sio, "outage", None))
            if (observe := getattr(sio, "event_observer", None)) is not None:
                observe(ns, name, envelope)
            return envelope

        handler.payload_model, handler.roles = model, roles  # read by the contract tests' fuzzers
        sio.on(name, handler=handler, namespace=ns)
        return fn

    return wrap


CLOSE_WAIT_S = 2.0


async def close_all(sio: socketio.AsyncServer) -> None:
    """At shutdown, close every Socket.IO connection, else each open browser tab keeps aiohttp's
    graceful shutdown waiting for its WebSocket (measured: a restart took 47 s with one tab open,
    2 s without). engineio's disconnect sends its CLOSE packet, which the JS client ignores on a
    WebSocket; the None then ends engineio's writer, which closes the WebSocket itself, so the
    browser sees "transport close" and reconnects with backoff."""
    sockets = list(sio.eio.sockets.values())
    if sockets:
        # A polling session with no GET waiting (one that only POSTs) never takes its CLOSE packet:
        # engineio's disconnect would wait for it until the ping timeout. Not more than a moment.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sio.eio.disconnect(), CLOSE_WAIT_S)
        for sock in sockets:
            sock.queue.put_nowait(None)
