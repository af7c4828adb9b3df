"""Every private symbol the fast path touches, with a fingerprint of the code it relies on.

Each entry names the symbol, what the fast path assumes of it, and the sha256 (first 16 hex)
of its source in the pinned versions (requirements.txt: python-engineio 4.15.1,
python-socketio 5.18.1, aiohttp 3.14.5, CPython 3.11's asyncio). The contract test
(tests/server/realtime/test_fastpath.py) recomputes them: after an upgrade it fails, naming
what changed; re-read that code against the assumption, then update the fingerprint.
`missing()` is the cheap run-time check `install()` makes: a symbol gone means stock emits.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass


@dataclass(frozen=True)
class Private:
    path: str          # module:qualified.name
    assumption: str
    fingerprint: str   # sha256 of inspect.getsource, first 16 hex; "" for data (only its presence is checked)

    def resolve(self):
        module, _, name = self.path.partition(":")
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj


PRIVATE: tuple[Private, ...] = (
    Private("engineio.async_drivers.aiohttp:WebSocket",
            "the driver we subclass: __init__(handler, server); __call__(environ) prepares self._sock, sets "
            "self.environ and awaits self.handler(self) (a bound method of the AsyncSocket); send(message)",
            "96fbcb0d1f45694a"),
    Private("engineio.async_drivers.aiohttp:_async",
            "the driver table AsyncServer copies into its private `_async`; we replace its 'websocket' entry",
            ""),
    Private("engineio.base_socket:BaseSocket.__init__",
            "each socket's send queue is `self.queue = self.server.create_queue()`; `upgraded`, `closed` flags",
            "8532b631a4dc815f"),
    Private("engineio.async_socket:AsyncSocket.poll",
            "the writer takes packets with queue.get()/get_nowait() (counted by OrderedQueue)",
            "826f58a9f3606db2"),
    Private("engineio.async_socket:AsyncSocket._websocket_handler",
            "after upgrade only the WebSocket writer polls the queue and writes each packet with ws.send()",
            "27f120df4d717a24"),
    Private("engineio.base_server:BaseServer.__init__",
            "`sockets` maps eio sid -> socket; `_async` holds the driver table", "a06b17502fbd9646"),
    Private("socketio.base_manager:BaseManager.__init__",
            "`rooms[namespace][room][sid] = eio_sid`", "bfee992d912fe9a4"),
    Private("socketio.base_manager:BaseManager.basic_enter_room",
            "joining writes rooms[namespace][room][sid] = eio_sid", "3f509586d2d7f47e"),
    Private("socketio.async_manager:AsyncManager.emit",
            "the stock emit we replace: one packet_class(EVENT, namespace, [event, *args]) per emit, sent "
            "with server._send_packet to every member but skip_sid", "01ccd5b82b4f955e"),
    Private("aiohttp.web_ws:WebSocketResponse._pre_start",
            "the response keeps its WebSocketWriter in `_writer`", "da55c0d7d84446a0"),
    Private("aiohttp._websocket.writer:WebSocketWriter.send_frame",
            "an uncompressed frame is written to `transport` synchronously, so a frame we write to the "
            "same transport lands between whole frames", "7ab812cc70561f8e"),
    Private("asyncio.queues:Queue.get",
            "get() ends in self.get_nowait(), so OrderedQueue counts both ways of taking", "35cbd848cd945f22"),
)


def fingerprint(obj) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


def changed() -> dict[str, str]:
    """path -> what differs from the recorded fingerprint (for the contract test)."""
    out = {}
    for p in PRIVATE:
        try:
            obj = p.resolve()
        except (ImportError, AttributeError) as exc:
            out[p.path] = f"gone: {exc!r}"
            continue
        if p.fingerprint and (now := fingerprint(obj)) != p.fingerprint:
            out[p.path] = f"fingerprint {now} (recorded {p.fingerprint})"
    return out


def missing() -> list[str]:
    """The listed symbols that no longer exist (cheap: no source is read)."""
    out = []
    for p in PRIVATE:
        try:
            p.resolve()
        except (ImportError, AttributeError):
            out.append(p.path)
    return out
