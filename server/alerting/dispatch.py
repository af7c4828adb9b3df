"""Who hears about an alert, and how: the live event to rooms plus an inbox item per person.

The audience of a patient's alert is computed when it is sent, from the database (never
cached, so a revoked grant stops the next alert): the patient, the doctors with an active
grant including `vitals`, and the staff of the patient's care units. Rooms: those users'
`user:<id>`, the watchers of `patient:<id>` (whose join was checked by `may_access`) and the
patient's `unit:<id>` rooms. Escalation widens it to every active doctor and `role:doctor`.

Inbox items (through the Notifier, stored before emitted) go out when an alert is raised,
rises in severity, is acknowledged, cleared or escalated. A plain repeat (one more bad
reading) is a live-only `alert:updated`, at most one per alert per REPEAT_EVERY_S, so a
burst of readings cannot flood anyone.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from models.documents import GRANTS
from rooms.access import active_grant_query, units_of_patient
from rooms.names import patient_room, role_room, unit_room, user_room
from server.alerting.store import public
from server.keys import CLOCK, DB, NOTIFIER
from server.realtime import events

log = logging.getLogger(__name__)

REPEAT_EVERY_S = 10.0
LABELS = {
    "spo2_low": ("SpO2 low", "SpO2 basse"),
    "heart_rate_high": ("Heart rate high", "Fréquence cardiaque élevée"),
    "heart_rate_low": ("Heart rate low", "Fréquence cardiaque basse"),
    "respiratory_rate_high": ("Respiratory rate high", "Fréquence respiratoire élevée"),
    "respiratory_rate_low": ("Respiratory rate low", "Fréquence respiratoire basse"),
    "temperature_high": ("Temperature high", "Température élevée"),
    "temperature_low": ("Temperature low", "Température basse"),
    "systolic_low": ("Blood pressure low", "Tension artérielle basse"),
    "systolic_high": ("Blood pressure high", "Tension artérielle élevée"),
    "diastolic_high": ("Diastolic pressure high", "Tension diastolique élevée"),
    "glucose_low": ("Blood glucose low", "Glycémie basse"),
    "glucose_high": ("Blood glucose high", "Glycémie élevée"),
    "news2": ("NEWS2 score high", "Score NEWS2 élevé"),
    "device_offline": ("Device offline", "Capteur hors ligne"),
    "battery_low": ("Device battery low", "Batterie du capteur faible"),
    "device_alert": ("Device alert", "Alerte du capteur"),
}
SEVERITY_WORDS = {"info": ("Info", "Information"), "warning": ("Warning", "Avertissement"),
                  "critical": ("Critical", "Critique"), "emergency": ("Emergency", "Urgence")}
ACTION_WORDS = {
    "raised": ("raised", "déclenchée"), "severity_rose": ("severity rose", "gravité accrue"),
    "acknowledged": ("acknowledged", "prise en compte"), "cleared": ("cleared", "levée"),
    "escalated": ("ESCALATED: still unacknowledged", "ESCALADÉE : toujours non prise en compte"),
}
URGENCY = {"info": "low", "warning": "normal", "critical": "high", "emergency": "urgent"}
EVENT_OF = {"raised": events.ALERT_RAISED, "severity_rose": events.ALERT_UPDATED, "repeat": events.ALERT_UPDATED,
            "stale": events.ALERT_UPDATED, "fresh": events.ALERT_UPDATED,
            "acknowledged": events.ALERT_ACKNOWLEDGED, "cleared": events.ALERT_CLEARED,
            "escalated": events.ALERT_ESCALATED}
INBOX = ("raised", "severity_rose", "acknowledged", "cleared", "escalated")


async def audience(db, clock, patient_id: str) -> tuple[list[str], list[str]]:
    """(user ids, rooms) allowed to hear about this patient's alerts right now."""
    grants = await db[GRANTS].find(active_grant_query(clock, patient_id=patient_id, scopes="vitals"),
                                   {"doctor_id": 1}).to_list(None)
    units = await units_of_patient(db, patient_id)
    users = [patient_id, *(g["doctor_id"] for g in grants), *(s for u in units for s in u["staff_ids"])]
    users = list(dict.fromkeys(users))
    rooms = [patient_room(patient_id), *(user_room(u) for u in users), *(unit_room(u["_id"]) for u in units)]
    return users, rooms


def texts(doc: dict, action: str) -> tuple[dict[str, str], dict[str, str]]:
    label = LABELS.get(doc["type"], (doc["type"], doc["type"]))
    sev, act = SEVERITY_WORDS[doc["severity"]], ACTION_WORDS.get(action, (action, action))
    title = {"en": f"{sev[0]}: {label[0]} ({act[0]})", "fr": f"{sev[1]} : {label[1]} ({act[1]})"}
    value = doc.get("last_value")
    stale = (" [stale data]", " [données anciennes]") if doc.get("stale") else ("", "")
    body = {"en": f"Last value {value}, seen {doc.get('count', 1)} time(s){stale[0]}.",
            "fr": f"Dernière valeur {value}, vue {doc.get('count', 1)} fois{stale[1]}."}
    return title, body


class AlertDispatch:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._last_repeat: dict[str, float] = {}

    async def publish(self, doc: dict, action: str, *, widen: bool = False) -> None:
        """Emit the event for `action` on `doc` (already stored) and fill the inboxes."""
        db, clock = self.app[DB], self.app[CLOCK]
        if action == "repeat":
            now = clock.timestamp()
            if now - self._last_repeat.get(doc["_id"], float("-inf")) < REPEAT_EVERY_S:
                return
            self._last_repeat[doc["_id"]] = now
        elif action == "cleared":
            self._last_repeat.pop(doc["_id"], None)
        users, rooms = await audience(db, clock, doc["patient_id"])
        if widen:
            doctors = await db["users"].find({"role": "doctor", "is_active": True}, {"_id": 1}).to_list(None)
            users = list(dict.fromkeys([*users, *(d["_id"] for d in doctors)]))
            rooms = [*rooms, role_room("doctor")]
        notifier = self.app[NOTIFIER]
        payload: dict[str, Any] = {"alert": public(doc), "change": action}
        await notifier.broadcast(EVENT_OF[action], payload, rooms)
        if action in INBOX:
            title, body = texts(doc, action)
            urgency = "urgent" if action == "escalated" else URGENCY[doc["severity"]]
            await notifier.notify(users, "alert", title=title, body=body, link={"type": "alert", "id": doc["_id"]},
                                  data={"alert_id": doc["_id"], "patient_id": doc["patient_id"], "type": doc["type"],
                                        "severity": doc["severity"], "change": action},
                                  urgency=urgency)
