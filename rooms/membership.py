"""Joining the rooms an identity belongs to by right: its own user room and its role room."""

from __future__ import annotations

import socketio

from rooms.names import role_room, user_room


async def join_identity_rooms(sio: socketio.AsyncServer, sid: str, user_id: str, role: str,
                              namespace: str = "/") -> list[str]:
    rooms = [user_room(user_id), role_room(role)]
    for room in rooms:
        await sio.enter_room(sid, room, namespace=namespace)
    return rooms
