"""One open clinical alert per patient per episode: causes join it, its severity follows them.

The engine turns each message's rule transitions into one call to `change`:

- no open episode and a cause fires → a new alert (`raised`: one toast, one acknowledgement);
- a cause fires while an episode is open → it joins (`cause_added`, live `alert:updated`). If it
  lifts the severity of an acknowledged alert, the acknowledgement is re-opened and the audience
  notified (inbox item): whoever acknowledged the lesser state has not seen this one. If the
  alert is still unacknowledged it is updated live only (usually the same event seen by a slower
  rule: NEWS2 persists 60 s, the SpO2 rule 30 s) and escalates at the higher severity's delay. A
  cause at or below the current severity leaves the acknowledgement standing (the team attends
  this episode already; the cause is on the alert for them to see);
- a cause's own severity rises or falls (its rule's bands, with their hysteresis and clear
  time) → the alert's severity is recomputed: `severity_rose` (inbox, re-arms: deterioration of
  a known condition, also when a new cause joins in the same reading) or `severity_fell` (live
  only: improvement needs no toast), both in `history`;
- a cause clears → `cause_cleared` (live); when none is left the episode ends (`cleared`,
  reason auto) and the next cause starts a new episode.

Escalation follows the current severity: a change recomputes the schedule from the later of
`first_at`/`escalated_at` with the new severity's delay (a re-armed acknowledgement starts
now), and stops it when that severity never escalates (warnings, by default). Writes are
read-modify-write guarded by `rev` (server/alerting/store.py), retried when another writer
(acknowledgement, escalation) came first.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from models.common import new_id
from server.alerting import causes as C
from server.alerting.rules import rank
from server.alerting.store import ACTIVE_ACK, ACTIVE_UNACK, CLEARED_ACK, CLEARED_UNACK, CLINICAL, Alerts
from server.clock import Clock

log = logging.getLogger(__name__)

ATTEMPTS = 5


class Episodes:
    def __init__(self, alerts: Alerts, clock: Clock) -> None:
        self.alerts, self.clock = alerts, clock

    async def change(self, patient_id: str, *, upserts: list[dict], cleared: list[str], scope: str | None,
                     value: Any, data: dict, may_open: bool) -> tuple[dict | None, str | None, bool]:
        """Fold one message's cause changes into the patient's open episode. Returns
        (alert, change, notify): change None when nothing clinical changed; notify says whether the
        change is an inbox item (and an outbox intent) rather than a live-only update."""
        for _ in range(ATTEMPTS):
            doc = await self.alerts.open_episode(patient_id)
            if doc is None:
                if not (may_open and upserts):
                    return None, None, False
                new = self._new(patient_id, upserts, value, data)
                try:
                    await self.alerts.insert_episode(new)
                except DuplicateKeyError:  # another process opened it first: join that one
                    continue
                return new, "raised", True
            out = self._update(doc, upserts, cleared, scope, value, data)
            if out is None:
                return doc, None, False
            update, change, notify = out
            written = await self.alerts.write_episode(doc, update)
            if written is not None:
                return written, change, notify
        log.warning("episode of patient %s: %d concurrent writers, giving up this change", patient_id, ATTEMPTS)
        return None, None, False

    def _new(self, patient_id: str, upserts: list[dict], value: Any, data: dict) -> dict:
        now, alerts = self.clock.now(), self.alerts
        causes, added, _ = C.merge([], upserts, [], now)
        severity, lead = C.severity(causes), C.leading(causes)
        assert severity is not None and lead is not None
        return {"_id": new_id(), "patient_id": patient_id, "group": CLINICAL, "source": "", "open": True,
                "type": C.type_of(lead), "category": "clinical", "kind": lead.get("reading", "news2"),
                "severity": severity, "severity_rank": rank(severity), "state": ACTIVE_UNACK, "causes": causes,
                "first_at": now, "first_value": value, "last_at": now, "last_value": value, "count": 1,
                "stale": False, "data": data, "escalation_level": 0,
                "next_escalation_at": alerts.first_escalation(severity),
                "acknowledged_by": None, "acknowledged_at": None, "ack_comment": None,
                "cleared_at": None, "cleared_by": None, "clear_reason": None, "rev": 0,
                "history": [alerts.entry("raised", severity=severity, value=value, causes=added)],
                "outbox": [alerts.intent("raised")]}

    def _update(self, doc: dict, upserts: list[dict], cleared: list[str], scope: str | None, value: Any,
                data: dict) -> tuple[dict, str, bool] | None:
        now, alerts = self.clock.now(), self.alerts
        causes, added, ended = C.merge(doc.get("causes") or [], upserts, cleared, now, scope)
        before_sig = C.signature([c for c in doc.get("causes") or [] if c["active"]])
        if not added and not ended and C.signature([c for c in causes if c["active"]]) == before_sig:
            return None
        before, after = doc["severity"], C.severity(causes)
        history = [alerts.entry("cause_added", cause=k, severity=_sev(causes, k)) for k in added]
        history += [alerts.entry("cause_cleared", cause=k) for k in ended]
        fields: dict[str, Any] = {"causes": causes, "last_at": now, "stale": False, **_data(data)}
        if upserts:
            fields["last_value"] = value
        if after is None:  # every cause cleared: the episode is over
            history.append(alerts.entry("cleared", reason="auto"))
            fields.update(open=False, cleared_at=now, cleared_by=None, clear_reason="auto", next_escalation_at=None,
                          state=CLEARED_ACK if doc["state"] == ACTIVE_ACK else CLEARED_UNACK)
            return {"$set": fields, "$push": {"history": {"$each": history},
                                              "outbox": alerts.intent("cleared")}}, "cleared", True
        fields.update(severity=after, severity_rank=rank(after))
        rose, fell = rank(after) > rank(before), rank(after) < rank(before)
        update: dict[str, Any] = {"$set": fields, "$inc": {"count": 1} if upserts else {}}
        rearmed = rose and doc["state"] == ACTIVE_ACK
        if rose:
            history.append(alerts.entry("severity_rose", severity=after, previous=before, value=value))
            fields.update(state=ACTIVE_UNACK, next_escalation_at=alerts.first_escalation(after) if rearmed
                          else self._schedule(doc, after))
        elif fell:
            history.append(alerts.entry("severity_fell", severity=after, previous=before, value=value))
            if doc["state"] == ACTIVE_UNACK:
                fields["next_escalation_at"] = self._schedule(doc, after)
        change = ("cause_added" if added else "severity_rose" if rose else "severity_fell" if fell
                  else "cause_cleared" if ended else "repeat")
        # An inbox item for a rise (a known cause worsened, or an acknowledgement re-opened), not for new
        # causes alone lifting an alert nobody acknowledged yet: mostly the same event seen by a slower
        # rule (NEWS2 persists 60 s, SpO2 30 s); still in front of the team, updated live, and it
        # escalates at the higher severity's delay.
        was = {c["key"]: c["severity"] for c in doc.get("causes") or [] if c["active"]}
        worsened = any(c["active"] and c["key"] in was and rank(c["severity"]) > rank(was[c["key"]]) for c in causes)
        notify = rose and (worsened or rearmed)
        update["$push"] = {"history": {"$each": history}} if history else {}
        if notify:
            update["$push"]["outbox"] = {**alerts.intent(change), "notify": True}
        if not update["$push"]:
            del update["$push"]
        if not update["$inc"]:
            del update["$inc"]
        return update, change, notify

    def _schedule(self, doc: dict, severity: str):
        """The next escalation of an unacknowledged alert at its new severity: that severity's delay counted
        from when the alert was raised or last escalated (it has been waiting unacknowledged that long; a
        time already past escalates at the next tick), None when that severity never escalates."""
        delay = self.alerts.delays.get(severity, 0)
        if delay <= 0:
            return None
        base = doc.get("escalated_at") or doc["first_at"]
        return base + timedelta(seconds=delay)


def _sev(causes: list[dict], key: str) -> str:
    return next(c["severity"] for c in causes if c["key"] == key)


def _data(data: dict) -> dict:
    return {f"data.{k}": v for k, v in data.items()}
