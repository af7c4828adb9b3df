"""`news2:updated`: the live NEWS2 of a patient, sent when it changes.

The NEWS2 service hands every result it stores to `News2Live.publish`; an event goes out only
when what a clinician sees changed (score, partial, risk, alert level or the missing
parameters), not on every reading, to the rooms that may see the patient's vitals:
`patient:<id>` (sockets that watch the patient through `vitals:watch`, which checked the
right) and `unit:<id>` of the patient's care units (their staff). One emit to the room list
through the inbox, so a socket in both gets it once.

The result itself is written behind (DERIVED_FLUSH_MS); the readings it is computed from are
stored before they are acknowledged, so a restart recomputes the same score from them. The
last published state is per process: after a restart, the first result is published again.
"""

from __future__ import annotations

import logging

from rooms.access import units_of_patient
from rooms.names import patient_room, unit_room
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)
SHOWN = ("score", "partial", "risk", "alert_severity")


def _shown(result: dict) -> tuple:
    return (*(result.get(k) for k in SHOWN), tuple(sorted(result.get("missing") or ())))


class News2Live:
    def __init__(self, db: Database, notifier: Notifier) -> None:
        self.db, self.notifier = db, notifier
        self._last: dict[str, tuple] = {}

    async def publish(self, patient_id: str, result: dict) -> bool:
        """Send `news2:updated` if this result differs from the last one sent; True when sent."""
        shown = _shown(result)
        if self._last.get(patient_id) == shown:
            return False
        units = await units_of_patient(self.db, patient_id)
        rooms = [patient_room(patient_id), *(unit_room(u["_id"]) for u in units)]
        await self.notifier.broadcast(events.NEWS2_UPDATED, {"patient_id": patient_id, **result}, rooms)
        self._last[patient_id] = shown  # only once sent: after a failed broadcast the next result goes out
        return True
