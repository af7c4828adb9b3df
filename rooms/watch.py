"""Joining and leaving rooms: the only place a socket enters or leaves one.

`role:<role>` and `user:<id>` are joined at the handshake (server/realtime/socket_auth.py and
the inbox replay), `patient:<id>` by a vitals watcher after `rooms.access.may_access`, and
`unit:<id>` by a care unit's staff. When a right ends, `evict` takes every socket of that
user out of `patient:<id>`, so live data stops at once and not at the next page load. Local
to this process: python-socketio has no cross-server room listing (with REDIS_URL each
process evicts its own sockets when it runs the sweeper or handles the revoke).
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
    """Every socket of `user_id` leaves `unit:<unit_id>` (they are no longer its staff)."""
    for sid, _eio_sid in list(sio.manager.get_participants(namespace, user_room(user_id))):
        await sio.leave_room(sid, unit_room(unit_id), namespace=namespace)


async def evict(sio: socketio.AsyncServer, user_id: str, patient_id: str, namespace: str = "/") -> int:
    """Take all of `user_id`'s sockets out of `patient:<patient_id>`; return how many left it."""
    room = patient_room(patient_id)
    left = 0
    for sid, _eio_sid in list(sio.manager.get_participants(namespace, user_room(user_id))):
        if room in sio.rooms(sid, namespace=namespace):
            await sio.leave_room(sid, room, namespace=namespace)
            left += 1
    if left:
        log.info("evicted %d socket(s) of %s from %s", left, user_id, room)
    return left
