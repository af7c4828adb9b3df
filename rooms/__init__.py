"""Rooms: the only place room names are built, joined and left.

`user:<id>` every socket of one user (all their devices), `role:<role>` everyone with a
role, `patient:<id>` those allowed to watch one patient live, `unit:<id>` a care unit's
staff. Who may join `patient:` and `unit:` rooms is decided in `rooms.access`.
"""

from rooms.names import patient_room, role_room, unit_room, user_room

__all__ = ["patient_room", "role_room", "unit_room", "user_room"]
