"""The Socket.IO server and the one acknowledgement envelope every event answers with.

`on(sio, name, model)` registers a handler that receives `(sid, identity, payload)`
and whose return value becomes `{"ok": true, "data": ...}`; a `DomainError` becomes
`{"ok": false, "error": {"code", "message", "details"}}`. Identity comes only from the
socket session written at the handshake, never from the payload.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from pydantic import BaseModel

from models.common import parse
from models.errors import DomainError, Unauthorized
from server import sio_fastpath, sio_json
from server.auth_service import Identity
from server.clock import Clock
from server.logs import request_id
from server.settings import Settings
from server.sio_manager import FastManager, RoomAwareRedisManager

log = logging.getLogger(__name__)

EventHandler = Callable[[str, Identity, Any], Awaitable[Any]]


def create_manager(settings: Settings) -> socketio.AsyncManager:
    """One process: FastManager. With REDIS_URL: rooms crossing processes only when they must
    (REDIS_MANAGER=rooms, default), or python-socketio's stock broadcast-everything manager."""
    if not settings.redis_url:
        return FastManager()
    if settings.redis_manager == "broadcast":
        return socketio.AsyncRedisManager(settings.redis_url)
    return RoomAwareRedisManager(settings.redis_url)


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


def create_sio(settings: Settings, *, json_module: Any = sio_json,
               manager: socketio.AsyncManager | None = None, fast_path: bool = True) -> socketio.AsyncServer:
    """The Socket.IO server; `json_module`/`manager` are overridable so bench can measure each lever."""
    origins: Any = "*" if settings.cors_origins == ("*",) else same_origin_or(settings.cors_origins)
    sio = socketio.AsyncServer(
        async_mode="aiohttp", cors_allowed_origins=origins, client_manager=manager or create_manager(settings),
        json=json_module, logger=False, engineio_logger=False,
    )
    if fast_path:
        sio_fastpath.install(sio)
    return sio


def ok(data: Any = None) -> dict:
    return {"ok": True, "data": data}


def fail(exc: DomainError) -> dict:
    return {"ok": False, "error": exc.to_body()}


INTERNAL = {"ok": False, "error": {"code": "internal", "message": "Internal server error", "details": None}}


async def acked(name: str, run: Callable[[], Awaitable[Any]],
                on_refused: Callable[[DomainError], Awaitable[None]] | None = None) -> dict:
    """Run one event and answer with the envelope: the one place socket errors are translated."""
    try:
        return ok(await run())
    except DomainError as exc:
        log.info("event %s refused: %s", name, exc.code)
        if on_refused is not None:
            await on_refused(exc)
        return fail(exc)
    except Exception:
        log.exception("event %s failed", name)
        return INTERNAL


def on(sio: socketio.AsyncServer, name: str, model: type[BaseModel] | None, clock: Clock,
       namespace: str = "/", allow_expired: bool = False) -> Callable[[EventHandler], EventHandler]:
    """Register `fn` for event `name`, with payload validation and the ack envelope."""

    def wrap(fn: EventHandler) -> EventHandler:
        @functools.wraps(fn)
        async def handler(sid: str, data: Any = None) -> dict:
            request_id.set(f"sio:{sid[:8]}")

            async def run() -> Any:
                session = await sio.get_session(sid, namespace=namespace)
                identity: Identity | None = session.get("identity")
                if identity is None:
                    raise Unauthorized("This socket is not authenticated", code="token_missing")
                if not allow_expired and identity.exp <= clock.timestamp():
                    raise Unauthorized("The token has expired: send auth:refresh", code="token_expired")
                payload = parse(model, data) if model is not None else data
                return await fn(sid, identity, payload)

            return await acked(name, run)

        sio.on(name, handler=handler, namespace=namespace)
        return fn

    return wrap
