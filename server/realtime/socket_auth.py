"""The Socket.IO handshake and the life of a socket's authentication.

A client connects with `auth: {token}`; a bad token is refused with a
`ConnectionRefusedError` whose message is the reason code (`token_missing`,
`token_invalid`, `token_expired`, `token_revoked`). On success the identity goes into
the socket session and the socket joins `role:<role>`, then `user:<id>` through
`join_user` (the notifier replays missed notifications first, see server/inbox/notifier.py). A socket whose
token expires must send `auth:refresh` within the grace period or is dropped, told why.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from pydantic import Field

from models.common import Input
from models.errors import DomainError, Unauthorized
from models.identity import Identity
from rooms import watch
from rooms.names import session_room
from server.auth.tokens import AuthService
from server.clock import Clock
from server.logs import request_id, socket_id
from server.realtime import events
from server.realtime.sockets import on
from server.settings import Settings

log = logging.getLogger(__name__)

ConnectHook = Callable[[str, Identity, dict], Awaitable[None]]


class RefreshIn(Input):
    token: str = Field(min_length=1, max_length=4096)


class SocketAuth:
    def __init__(self, sio: socketio.AsyncServer, auth: AuthService, settings: Settings, clock: Clock,
                 connect_limit: Callable[[str], Awaitable[None]] | None = None) -> None:
        self.sio, self.auth, self.clock = sio, auth, clock
        # Connections per token family (server/ops/throttle.py): raises RateLimited.
        self.connect_limit = connect_limit
        self.grace = settings.socket_auth_grace
        self.connect_hooks: list[ConnectHook] = []
        self.disconnect_hooks: list[Callable[[str], Awaitable[None]]] = []
        # Replaced by Notifier.join_user: replay missed notifications, then enter user:<id>.
        self.join_user: ConnectHook = self._join_user_room
        self._deadlines: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._wake = asyncio.Event()
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        on(sio, events.AUTH_REFRESH, RefreshIn, clock, allow_expired=True)(self.refresh)

    async def connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        request_id.set(f"sio:{sid[:8]}")  # the handshake's log lines carry the socket id (LOG_FORMAT=json too)
        socket_id.set(sid)
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            identity = await self.auth.authenticate(token)
            if self.connect_limit is not None:
                await self.connect_limit(identity.fam or identity.jti)
        except DomainError as exc:
            log.info("socket refused: %s", exc.code)
            raise socketio.exceptions.ConnectionRefusedError(
                exc.code, {"code": exc.code, "message": exc.message, "details": exc.details}) from None
        await self.sio.save_session(sid, {"identity": identity})
        try:
            await watch.join_role(self.sio, sid, identity.role)
            if identity.fam:
                await watch.join_session(self.sio, sid, identity.fam)
            # The user room is joined by `join_user` (the inbox replay when the notifier is
            # installed), which decides when: after the missed notifications were sent.
            await self.join_user(sid, identity, auth)
            # Hooks run inside the handshake: what they emit reaches the client before
            # anything emitted to its rooms later.
            for hook in self.connect_hooks:
                await hook(sid, identity, auth)
        except DomainError as exc:
            log.info("socket refused by a connect step: %s", exc.code)
            raise socketio.exceptions.ConnectionRefusedError(
                exc.code, {"code": exc.code, "message": exc.message}) from None
        self._watch(sid, identity.exp)

    async def revoked(self, family: str) -> None:
        """The session was revoked: its sockets are told and disconnected, on every process (the manager
        does the disconnecting where the sockets are: server/realtime/sio_manager.py RevokedSessions)."""
        await self.sio.emit(events.AUTH_REVOKED, {
            "code": "token_revoked", "message": "Your session was ended; sign in again."},
            room=session_room(family))

    async def _join_user_room(self, sid: str, identity: Identity, auth: Any) -> None:
        await watch.join_user(self.sio, sid, identity.user_id)

    async def disconnect(self, sid: str, *args: Any) -> None:
        self._deadlines.pop(sid, None)
        for hook in self.disconnect_hooks:
            try:
                await hook(sid)
            except Exception:  # one failing hook must not keep the others from running
                log.exception("disconnect hook %s failed", getattr(hook, "__qualname__", hook))

    async def refresh(self, sid: str, identity: Identity, payload: RefreshIn) -> dict:
        new = await self.auth.authenticate(payload.token)
        if new.user_id != identity.user_id:
            raise Unauthorized("The new token belongs to another user", code="token_invalid")
        async with self.sio.session(sid) as session:
            session["identity"] = new
        self._watch(sid, new.exp)
        return {"exp": new.exp}

    # -- expiry: one heap for all sockets instead of a timer task per socket -------------
    def _watch(self, sid: str, exp: float) -> None:
        deadline = exp + self.grace
        self._deadlines[sid] = deadline
        heapq.heappush(self._heap, (deadline, sid))
        self._wake.set()

    async def run_expiry(self) -> None:
        """Background task: drop sockets past their deadline. Stale heap entries are skipped."""
        while True:
            now = self.clock.timestamp()
            while self._heap and self._heap[0][0] <= now:
                deadline, sid = heapq.heappop(self._heap)
                if self._deadlines.get(sid) == deadline:
                    del self._deadlines[sid]
                    await self._expire(sid)
            delay = (self._heap[0][0] - now) if self._heap else 3600.0
            self._wake.clear()
            try:
                # capped so an injected clock that jumps forward is noticed promptly
                await asyncio.wait_for(self._wake.wait(), timeout=min(max(delay, 0.01), 0.5))
            except TimeoutError:
                pass

    async def _expire(self, sid: str) -> None:
        log.info("socket %s dropped: token expired and not refreshed", sid[:8])
        try:
            await self.sio.emit(events.AUTH_EXPIRED, {
                "code": "token_expired",
                "message": "Your session expired and was not refreshed; sign in again."}, to=sid)
            await self.sio.disconnect(sid)
        except Exception:  # the socket may already be gone
            log.debug("socket %s already gone", sid[:8], exc_info=True)
