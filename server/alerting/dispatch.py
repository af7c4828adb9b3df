"""Who hears about an alert, and how: the live event to rooms plus an inbox item per person.

The audience of a patient's alert is computed when it is sent, from the database (never
cached, so a revoked grant stops the next alert): the patient, the doctors with an active
grant including `vitals`, and the staff of the patient's care units. Rooms: those users'
`user:<id>`, the watchers of `patient:<id>` (whose join was checked by `may_access`) and the
patient's `unit:<id>` rooms. Escalation (server/alerting/escalation.py) pages the people of the
chain's levels reached so far (`page`): those with a relation to the patient (in the audience) get
the full urgent inbox item; the others (the `all_doctors` level) get the minimum: the alert id, its
severity, the patient's care unit(s) and a link; no patient name or id, no alert type, no value;
and never the live `alert:escalated` event, which carries the alert and goes to the audience only.
The patient sees the escalation live; they get no urgent inbox item for it (they cannot act on it).

Inbox items (through the Notifier, stored before emitted) go out when an alert is raised,
rises in severity (also when a new cause lifts it: `cause_added` with `notify`), is
acknowledged, cleared or escalated. `cause_added` at or below the current severity,
`cause_cleared` and `severity_fell` are live-only `alert:updated` events. A plain repeat (one more bad
reading) is a live-only `alert:updated`, at most one per alert per REPEAT_EVERY_S, so a
burst of readings cannot flood anyone.

The outbox: every change that needs an inbox dispatch stores its intent on the alert in the
same write (`outbox`, server/alerting/store.py). `publish` removes it once the event and the
inbox items went out; an intent still there OUTBOX_GRACE_S later (the dispatch failed, or the
process died) is claimed by one process's `redeliver` (the alert tick) and sent then, so a
stored alert always reaches its audience, once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from models.documents import GRANTS, public
from rooms.access import active_grant_query, units_of_patient
from rooms.names import patient_room, unit_room, user_room
from server.alerting.rules import rank
from server.alerting.store import INTERNAL, OUTBOX_GRACE_S, Alerts
from server.clock import Clock
from server.inbox import texts
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)

REPEAT_EVERY_S = 10.0
URGENCY = {"info": "low", "warning": "normal", "critical": "high", "emergency": "urgent"}
EVENT_OF = {"raised": events.ALERT_RAISED, "severity_rose": events.ALERT_UPDATED, "repeat": events.ALERT_UPDATED,
            "cause_added": events.ALERT_UPDATED, "cause_cleared": events.ALERT_UPDATED,
            "severity_fell": events.ALERT_UPDATED,
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


def label(doc: dict) -> texts.Text:
    """The alert's name: its type, or for an episode its active causes' types, most severe first."""
    past = doc.get("retrospective")  # a retrospective episode's causes all ended: name them all
    active = sorted((c for c in doc.get("causes") or [] if c["active"] or past), key=lambda c: -rank(c["severity"]))
    names = list(dict.fromkeys(c["rule"] if c["kind"] == "rule" else "news2" for c in active)) or [doc["type"]]
    parts = [texts.ALERT_LABELS.get(n) or texts.same(n) for n in names]
    return {lang: " + ".join(p[lang] for p in parts) for lang in parts[0]}


def alert_texts(doc: dict, action: str) -> tuple[texts.Text, texts.Text]:
    return texts.render(
        "alert", severity=texts.SEVERITIES[doc["severity"]], label=label(doc),
        action=texts.ALERT_ACTIONS.get(action) or texts.same(action), value=doc.get("last_value"),
        count=doc.get("count", 1), stale=texts.STALE if doc.get("stale") else
        texts.RETROSPECTIVE if doc.get("retrospective") else texts.same(""))


class AlertDispatch:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, alerts: Alerts) -> None:
        self.db, self.clock, self.notifier, self.alerts = db, clock, notifier, alerts
        self._last_repeat: dict[str, float] = {}

    async def redeliver(self) -> int:
        """Send the intents their writers did not deliver (the outbox); returns how many."""
        sent = 0
        async for doc in self.alerts.undelivered():
            cutoff = self.clock.now() - timedelta(seconds=OUTBOX_GRACE_S)
            for intent in doc.get("outbox", []):
                if intent["at"] <= cutoff:
                    log.warning("alert %s: delivering its undelivered %s", doc["_id"], intent["action"])
                    await self.publish(doc, intent["action"], page=intent.get("page"), intents=[intent["id"]],
                                       notify=intent.get("notify"))
                    sent += 1
        return sent

    async def publish(self, doc: dict, action: str, *, page: dict | None = None,
                      intents: list[str] | None = None, notify: bool | None = None) -> None:
        """Emit the event for `action` on `doc` (already stored), fill the inboxes (`notify`, by default
        for the INBOX actions), and take the dispatch intents of `action` (or `intents`) off the outbox."""
        db, clock = self.db, self.clock
        if action == "repeat" and not notify:
            now = clock.timestamp()
            if now - self._last_repeat.get(doc["_id"], float("-inf")) < REPEAT_EVERY_S:
                return
            self._last_repeat[doc["_id"]] = now
        elif action == "cleared":
            self._last_repeat.pop(doc["_id"], None)
        users, rooms = await audience(db, clock, doc["patient_id"])
        notifier = self.notifier
        payload: dict[str, Any] = {"alert": public(doc, omit=INTERNAL), "change": action}
        await notifier.broadcast(EVENT_OF[action], payload, rooms)
        if (notify if notify is not None else action in INBOX):
            title, body = alert_texts(doc, action)
            urgency = "urgent" if action == "escalated" else URGENCY[doc["severity"]]
            if page is not None:  # an escalation: the people paged, the minimum to those with no relation
                related = set(users)
                users = [u for u in page["people"] if u in related]
                await self._page_unrelated(doc, [u for u in page["people"] if u not in related], page)
            await notifier.notify(users, "alert", title=title, body=body, link={"type": "alert", "id": doc["_id"]},
                                  data={"alert_id": doc["_id"], "patient_id": doc["patient_id"], "type": doc["type"],
                                        "severity": doc["severity"], "change": action},
                                  urgency=urgency)
        if intents is None:
            intents = [i["id"] for i in doc.get("outbox", []) if i["action"] == action]
        if intents:
            await self.alerts.delivered(doc["_id"], intents)

    async def _page_unrelated(self, doc: dict, user_ids: list[str], page: dict) -> None:
        """The minimal escalation message for doctors with no relation to the patient: enough to go and
        help (severity, unit, a link), nothing about the patient; opening the link needs a relation."""
        if not user_ids:
            return
        units = page.get("units") or []
        names = ", ".join(u["name"] for u in units)
        unit = texts.same(names) if names else texts.NO_UNIT
        title, body = texts.render("alert:escalated_minimal", severity=texts.SEVERITIES[doc["severity"]], unit=unit)
        await self.notifier.notify(user_ids, "alert", title=title, body=body, link={"type": "alert", "id": doc["_id"]},
                                   data={"alert_id": doc["_id"], "severity": doc["severity"], "change": "escalated",
                                         "level": page["to"], "units": units, "minimal": True},
                                   urgency="urgent")

