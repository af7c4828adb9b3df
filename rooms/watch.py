"""Joining and leaving rooms: the only place a socket enters or leaves one.

`role:<role>` and `user:<id>` are joined at the handshake (server/realtime/socket_auth.py and
the inbox replay), `patient:<id>` by a vitals watcher after `rooms.access.may_access`, and
`unit:<id>` by a care unit's staff. When a right ends, `evict` takes every socket of that
user out of `patient:<id>`, so live data stops at once and not at the next page load. On
every process: the manager's `leave_everywhere` (server/realtime/evictions.py) returns once
each process has done it, so nothing emitted after the caller's acknowledgement reaches an
evicted socket anywhere.
"""

from __future__ import annotations

import logging

import socketio

from rooms.names import patient_room, role_room, session_room, unit_room, user_room

log = logging.getLogger(__name__)


async def join_role(sio: socketio.AsyncServer, sid: str, role: str) -> None:
    await sio.enter_room(sid, role_room(role))


async def join_session(sio: socketio.AsyncServer, sid: str, family: str) -> None:
    """Revoking the session (logout, refresh-token reuse) disconnects this room's sockets on every process."""
    await sio.enter_room(sid, session_room(family))


async def join_user(sio: socketio.AsyncServer, sid: str, user_id: str) -> None:
    await sio.enter_room(sid, user_room(user_id))


async def watch_patient(sio: socketio.AsyncServer, sid: str, patient_id: str) -> None:
    """Call only after `may_access(..., "vitals")`."""
    await sio.enter_room(sid, patient_room(patient_id))


async def unwatch_patient(sio: socketio.AsyncServer, sid: str, patient_id: str) -> None:
    await sio.leave_room(sid, patient_room(patient_id))


async def watch_unit(sio: socketio.AsyncServer, sid: str, unit_id: str) -> None:
    """Call only for the unit's staff."""
    await sio.enter_room(sid, unit_room(unit_id))


async def unwatch_unit(sio: socketio.AsyncServer, sid: str, unit_id: str) -> None:
    await sio.leave_room(sid, unit_room(unit_id))


async def leave_unit(sio: socketio.AsyncServer, user_id: str, unit_id: str, namespace: str = "/") -> None:
    """Every socket of `user_id`, on every process, leaves `unit:<unit_id>` (no longer its staff)."""
    await sio.manager.leave_everywhere(namespace, user_room(user_id), unit_room(unit_id))


async def evict(sio: socketio.AsyncServer, user_id: str, patient_id: str, namespace: str = "/") -> int:
    """Take all of `user_id`'s sockets, on every process, out of `patient:<patient_id>`; return how
    many of this process's left it."""
    room = patient_room(patient_id)
    left = await sio.manager.leave_everywhere(namespace, user_room(user_id), room)
    if left:
        log.info("evicted %d socket(s) of %s from %s", left, user_id, room)
    return left
