"""Installing the fast path on a Socket.IO server, and the state that keeps packet order.

`install(sio)` (only when SIO_FAST_PATH is on):
- replaces engineio's aiohttp WebSocket driver with a subclass that remembers its aiohttp
  response on the Engine.IO socket (`fast_ws`) and turns permessage-deflate off (as Node's
  socket.io does: deflating small JSON frames per recipient costs more than it saves);
- gives every Engine.IO socket an `OrderedQueue` (through engineio's public `create_queue`)
  that counts packets its writer has taken but not yet written (`in_flight`).

Why the count: on Python 3.11 engineio's `poll()` takes a packet off the queue inside
`wait_for`, i.e. in a separate task, and writes it a loop turn or more later. During that
window the queue is empty and the transport idle, yet a packet is on its way; a later packet
written directly would overtake it. A direct write therefore also needs `in_flight == 0`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from aiohttp import web

log = logging.getLogger(__name__)
_warned: set[str] = set()


def warn_once(key: str, message: str, *args: Any) -> None:
    """Log a fall-back to the stock path once per process and reason (not once per emit)."""
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


class OrderedQueue(asyncio.Queue):
    """engineio's per-socket send queue, counting what its WebSocket writer took but has not written."""

    sock: Any = None  # the Engine.IO socket, set when its WebSocket starts
    in_flight = 0

    def get_nowait(self):  # asyncio.Queue.get() ends in get_nowait(): both paths count
        item = super().get_nowait()
        if item is not None and self.sock is not None and self.sock.upgraded:
            self.in_flight += 1
        return item


def _tracked_websocket(base: type) -> type:
    class TrackedWebSocket(base):
        async def __call__(self, environ: dict) -> web.WebSocketResponse:
            request = environ["aiohttp.request"]
            self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
            await self._sock.prepare(request)
            self.environ = environ
            owner = getattr(self.handler, "__self__", None)  # the engineio AsyncSocket being served
            queue = getattr(owner, "queue", None)
            if isinstance(queue, OrderedQueue):
                queue.sock, queue.in_flight = owner, 0
                owner.fast_ws = self._sock
            try:
                await self.handler(self)
            finally:
                if owner is not None:
                    owner.fast_ws = None
            return self._sock

        async def send(self, message) -> None:
            await super().send(message)
            owner = getattr(self.handler, "__self__", None)
            queue = getattr(owner, "queue", None)
            if isinstance(queue, OrderedQueue) and queue.in_flight > 0:
                queue.in_flight -= 1

    return TrackedWebSocket


def install(sio: socketio.AsyncServer) -> bool:
    """Enable the fast path on an aiohttp-mode server; False (stock path, logged) if the layout differs."""
    from server.realtime.fastpath.private import missing

    eio = sio.eio
    drivers = getattr(eio, "_async", None)
    gone = missing()
    if gone or not isinstance(drivers, dict) or "websocket" not in drivers or eio.async_mode != "aiohttp":
        warn_once("install", "engineio/socketio internals not recognised (%s): the fast path is off, stock emits",
                  ", ".join(gone) or "driver table")
        return False
    eio._async = {**drivers, "websocket": _tracked_websocket(drivers["websocket"])}
    eio.create_queue = lambda *args, **kwargs: OrderedQueue(*args, **kwargs)
    sio.manager.fast_path = True
    return True


def enabled(mgr: socketio.AsyncManager) -> bool:
    return getattr(mgr, "fast_path", False)


def turn_off(mgr: socketio.AsyncManager, why: str) -> None:
    mgr.fast_path = False
    warn_once(why, "fast path off after an unexpected internal (%s): stock emits from now on", why, )
