"""Room emits delivered cheaply: `deliver()` and the direct WebSocket write (the fan-out lever).

python-engineio sends every packet through a per-socket queue and writer task: on Python
3.11 each packet costs a queue wake-up, a task for `wait_for(queue.get())` and aiohttp's
frame writer, per recipient. bench fanout --profile showed those three as ~70 % of the
server's time when one reading goes to 1,000–5,000 dashboards. Here the packet is encoded
once per emit; the WebSocket frame (a server frame is not masked, so the bytes are the
same for everyone) is written to each idle recipient's transport, and a socket with
anything queued, in flight (hooks.OrderedQueue) or buffered gets the packet through its
queue as before, so the order of its packets never changes.

`deliver()` returns None when the emit needs python-socketio's stock path (fast path off,
binary attachments, an internal that is not where private.py says).
"""

from __future__ import annotations

import struct
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

from server.realtime.fastpath.hooks import OrderedQueue, enabled, turn_off


def frame(text: str) -> bytes:
    """One unmasked, final, uncompressed WebSocket text frame (RFC 6455 §5.2)."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x81, n) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


def idle_transport(sock: Any):
    """The transport of a WebSocket with nothing queued, in flight or buffered; None otherwise."""
    ws = getattr(sock, "fast_ws", None)
    queue = sock.queue
    if ws is None or not sock.upgraded or ws.closed or not isinstance(queue, OrderedQueue):
        return None
    if not queue.empty() or queue.in_flight:
        return None
    transport = ws._writer.transport
    if transport is None or transport.is_closing() or transport.get_write_buffer_size():
        return None
    return transport


def rooms_of(room: Any) -> list:
    return [room] if room is None or isinstance(room, str) else list(room)


def _targets(mgr: socketio.AsyncManager, namespace: str, room: Any, skip_sid: Any) -> list:
    """The Engine.IO sockets of this process's members of `room` (read before anything is sent)."""
    ns = mgr.rooms.get(namespace)
    if not ns:
        return []
    members: dict = {}
    for r in rooms_of(room):
        if found := ns.get(r):
            members.update(found.items())
    skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
    sockets = mgr.server.eio.sockets
    out = []
    for sid, eio_sid in members.items():
        sock = sockets.get(eio_sid)
        if sid not in skip and sock is not None and not sock.closed:
            out.append((sock, sock.queue))
    return out


def deliver(mgr: socketio.AsyncManager, event: str, data: Any, namespace: str, room: Any,
            skip_sid: Any = None) -> int | None:
    """Deliver an emit to this process's members of `room`; None when it needs the stock path."""
    if not enabled(mgr):
        return None
    try:
        targets = _targets(mgr, namespace, room, skip_sid)
        if not targets:
            return 0
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = mgr.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
    except (AttributeError, KeyError, TypeError) as exc:  # nothing was sent yet: the stock path is safe
        turn_off(mgr, f"deliver: {exc!r}")
        return None
    if isinstance(encoded, list):  # binary attachments: leave them to python-socketio
        return None
    pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    wire: bytes | None = None
    for sock, queue in targets:
        try:
            transport = idle_transport(sock)
        except AttributeError as exc:  # aiohttp's writer moved: this and later packets go through the queue
            turn_off(mgr, f"direct write: {exc!r}")
            transport = None
        if transport is not None:
            wire = wire or frame(pkt.encode())
            transport.write(wire)
            continue
        queue.put_nowait(pkt)  # the socket's writer task sends it; one packet object for all
    return len(targets)
