"""Leaving a patient's live room when the right to watch it ends.

`patient:<id>` is joined (by the vitals watchers) only after `rooms.access.may_access`;
when a grant is revoked or expires, `evict` takes every socket of that user out of the
room, so live data stops at once and not at the next page load. Local to this process:
python-socketio has no cross-server room listing (with REDIS_URL each process evicts
its own sockets when it runs the sweeper or handles the revoke).
"""

from __future__ import annotations

import logging

import socketio

from rooms.names import patient_room, user_room

log = logging.getLogger(__name__)


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
