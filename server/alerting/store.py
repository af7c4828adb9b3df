"""The alert lifecycle, in the database: one open alert per (patient, group, source), atomically.

A unique partial index on `(patient_id, group, source)` over `open: true` documents is what
guarantees one open alert, even when several processes see the same burst. Clinical alerts
(threshold rules and NEWS2) share the group "clinical" and source "": one open episode per
patient, whatever its causes (server/alerting/episodes.py writes it through `insert_episode`
and `write_episode`, guarded by `rev`). Device alerts keep group = type and source = the
device id (a patient with two devices can have both offline): a raise is a single upsert
(`find_one_and_update`), a repeat only bumps `count`, `last_value`, `last_at`.

States: active_unacknowledged → (acknowledge) active_acknowledged → (clear) cleared_acknowledged,
or active_unacknowledged → (clear) cleared_unacknowledged → (acknowledge) cleared_acknowledged.
A severity rise re-arms an acknowledged alert (back to active_unacknowledged): the nurse who
acknowledged a warning has not seen the emergency. Every transition is pushed to `history`
and bumps `rev` (so an episode's read-modify-write never overwrites a concurrent one).
Escalation fields (`next_escalation_at`, `escalation_level`, `escalation_step`) are kept here;
server/alerting/escalation.py claims them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from models.common import new_id
from models.errors import Conflict, NotFound
from server.alerting.causes import merge_past
from server.alerting.rules import rank
from server.clock import Clock
from server.jobs import claim_due
from server.ops.metrics import Metrics
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger(__name__)

COLLECTION = "alerts"
# kept for queries or the outbox, never sent: public(doc, omit=INTERNAL)
INTERNAL = ("open", "severity_rank", "outbox", "outbox_claimed_until", "rev")
CLINICAL = "clinical"  # the group of every vital-sign alert (one open episode per patient)
RETROSPECTIVE = "retrospective"  # the group of closed episodes found in late data (never open)
OUTBOX_GRACE_S = 30  # an intent older than this was not delivered by its writer: the outbox loop sends it
ACTIVE_UNACK, ACTIVE_ACK = "active_unacknowledged", "active_acknowledged"
CLEARED_UNACK, CLEARED_ACK = "cleared_unacknowledged", "cleared_acknowledged"
STATES = (ACTIVE_UNACK, ACTIVE_ACK, CLEARED_UNACK, CLEARED_ACK)


def declare_indexes(db: Database) -> None:
    # One open alert per (patient, type) until alert episodes; alerts written before them have no `group`,
    # stay outside the new index (so it builds over them) and are cleared by hand.
    db.retire(COLLECTION, "one_open_alert")
    db.declare(COLLECTION,
               IndexModel([("patient_id", 1), ("group", 1), ("source", 1)], unique=True,
                          partialFilterExpression={"open": True, "group": {"$exists": True}},
                          name="one_open_alert_per_group"),
               IndexModel([("patient_id", 1), ("last_at", -1)]),
               IndexModel([("open", 1), ("severity_rank", 1)]),
               IndexModel("next_escalation_at"))


class Alerts:
    def __init__(self, db: Database, clock: Clock, settings: Settings, metrics: Metrics | None = None) -> None:
        self.db, self.clock = db, clock
        self.metrics = metrics or Metrics()  # alert transitions by state; escalations (escalation.py)
        self.delays = {"info": 0, "warning": settings.alert_escalation_warning_s,
                       "critical": settings.alert_escalation_critical_s,
                       "emergency": settings.alert_escalation_emergency_s}
        declare_indexes(db)

    @property
    def coll(self):
        return self.db[COLLECTION]

    def first_escalation(self, severity: str):
        delay = self.delays.get(severity, 0)
        return self.clock.now() + timedelta(seconds=delay) if delay > 0 else None

    def intent(self, action: str, page: dict | None = None) -> dict:
        """A dispatch to do, stored with the change that needs it (the outbox: server/alerting/dispatch.py);
        `page`: whom an escalation pages (server/alerting/escalation.py)."""
        intent = {"id": new_id(), "action": action, "at": self.clock.now()}
        if page is not None:
            intent["page"] = page
        return intent

    async def delivered(self, alert_id: str, ids: list[str]) -> None:
        await self.coll.update_one({"_id": alert_id}, {"$pull": {"outbox": {"id": {"$in": ids}}}})

    def undelivered(self, limit: int = 100) -> AsyncIterator[dict]:
        """Alerts with a dispatch intent older than OUTBOX_GRACE_S, each claimed by one process for
        that long (so its writer, or another process, is not sending it at the same time)."""
        now = self.clock.now()
        cutoff = now - timedelta(seconds=OUTBOX_GRACE_S)
        due = {"outbox": {"$elemMatch": {"at": {"$lte": cutoff}}},
               "$or": [{"outbox_claimed_until": None}, {"outbox_claimed_until": {"$lte": now}}]}
        return claim_due(self.coll, due, {"$set": {"outbox_claimed_until": now + timedelta(seconds=OUTBOX_GRACE_S)}},
                         limit=limit)

    def entry(self, action: str, **fields: Any) -> dict:
        return {"at": self.clock.now(), "action": action, **{k: v for k, v in fields.items() if v is not None}}

    async def upsert(self, *, patient_id: str, type: str, severity: str, value: Any, category: str,
                     source: str = "", kind: str | None = None, data: dict | None = None) -> tuple[dict, str]:
        """Raise, or repeat into the open alert. Returns (doc, "raised" | "rose" | "repeat")."""
        now, op = self.clock.now(), new_id()
        key = {"patient_id": patient_id, "group": type, "type": type, "source": source, "open": True}
        fresh = self._fresh(now, value, data, category)
        insert = {"_id": op, "category": category, "kind": kind, "severity": severity,
                  "severity_rank": rank(severity), "state": ACTIVE_UNACK, "first_at": now,
                  "first_value": value, "escalation_level": 0,
                  "next_escalation_at": self.first_escalation(severity),
                  "acknowledged_by": None, "acknowledged_at": None, "ack_comment": None,
                  "cleared_at": None, "cleared_by": None, "clear_reason": None,
                  "history": [self.entry("raised", severity=severity, value=value)],
                  "outbox": [self.intent("raised")]}
        if category == "device":
            insert["stale"] = False
        update = {"$setOnInsert": insert, "$set": fresh, "$inc": {"count": 1}}
        for attempt in range(3):
            try:
                doc = await self.coll.find_one_and_update(key, update, upsert=True,
                                                          return_document=ReturnDocument.AFTER)
                break
            except DuplicateKeyError:  # another process inserted between our find and insert
                if attempt == 2:
                    raise
        if doc["_id"] == op:
            self.metrics.alerts.labels(ACTIVE_UNACK).inc()
            return doc, "raised"
        if rank(severity) > doc["severity_rank"]:
            rose = await self.coll.find_one_and_update(
                {"_id": doc["_id"], "open": True, "severity_rank": {"$lt": rank(severity)}},
                {"$set": {"severity": severity, "severity_rank": rank(severity), "state": ACTIVE_UNACK,
                          "next_escalation_at": self.first_escalation(severity)}, "$inc": {"rev": 1},
                 "$push": {"history": self.entry("severity_rose", severity=severity, value=value,
                                                  previous=doc["severity"]),
                           "outbox": self.intent("severity_rose")}},
                return_document=ReturnDocument.AFTER)
            if rose is not None:
                return rose, "rose"
        return doc, "repeat"

    @staticmethod
    def _fresh(now, value: Any, data: dict | None, category: str) -> dict:
        fresh = {"last_value": value, "last_at": now, "data": data or {}}
        if category != "device":
            fresh["stale"] = False  # a reading just arrived: whatever was stale is not any more
        return fresh

    def repeat_update(self, value: Any, category: str, data: dict | None = None) -> dict:
        """The update folding one more breaching reading into an open alert."""
        return {"$set": self._fresh(self.clock.now(), value, data, category), "$inc": {"count": 1}}

    def episode_repeat(self, value: Any, data: dict) -> dict:
        """One more breaching reading into an open episode; `data` fields set one by one (a repeat of a
        threshold rule must not erase the NEWS2 details)."""
        fresh = {"last_value": value, "last_at": self.clock.now(), "stale": False,
                 **{f"data.{k}": v for k, v in data.items()}}
        return {"$set": fresh, "$inc": {"count": 1}}

    async def open_one(self, patient_id: str, type: str, source: str = "") -> dict | None:
        return await self.coll.find_one({"patient_id": patient_id, "group": type, "source": source, "open": True})

    async def open_episode(self, patient_id: str) -> dict | None:
        return await self.coll.find_one({"patient_id": patient_id, "group": CLINICAL, "source": "", "open": True})

    async def insert_episode(self, doc: dict) -> None:
        """A new clinical episode; DuplicateKeyError when another writer opened one first."""
        await self.coll.insert_one(doc)
        self.metrics.alerts.labels(doc["state"]).inc()  # episodes raise here, not through upsert

    async def write_episode(self, doc: dict, update: dict) -> dict | None:
        """Apply `update` to the episode unless anyone changed it since `doc` was read (then None)."""
        written = await self.coll.find_one_and_update({"_id": doc["_id"], "open": True, "rev": doc.get("rev")},
                                                      {**update, "$inc": {**update.get("$inc", {}), "rev": 1}},
                                                      return_document=ReturnDocument.AFTER)
        if written is not None and written["state"] != doc["state"]:
            self.metrics.alerts.labels(written["state"]).inc()
        return written

    async def get(self, alert_id: str) -> dict:
        doc = await self.coll.find_one({"_id": alert_id})
        if doc is None:
            raise NotFound("No such alert", code="alert_not_found")
        return doc

    async def _transition(self, match: dict, moves: tuple[tuple[str, str], ...], fields: dict,
                          entry: dict) -> dict | None:
        for before, after in moves:
            doc = await self.coll.find_one_and_update(
                {**match, "state": before}, {"$set": {**fields, "state": after}, "$inc": {"rev": 1},
                                             "$push": {"history": entry, "outbox": self.intent(entry["action"])}},
                return_document=ReturnDocument.AFTER)
            if doc is not None:
                self.metrics.alerts.labels(after).inc()
                return doc
        return None

    async def acknowledge(self, alert_id: str, user_id: str, comment: str | None = None) -> dict:
        """Acknowledge (stops escalation). A second acknowledgement is a 409, not a silent overwrite."""
        now = self.clock.now()
        doc = await self._transition(
            {"_id": alert_id}, ((ACTIVE_UNACK, ACTIVE_ACK), (CLEARED_UNACK, CLEARED_ACK)),
            {"acknowledged_by": user_id, "acknowledged_at": now, "ack_comment": comment, "next_escalation_at": None},
            self.entry("acknowledged", by=user_id, comment=comment))
        if doc is None:
            await self.get(alert_id)
            raise Conflict("This alert is already acknowledged", code="already_acknowledged")
        return doc

    async def clear(self, alert_id: str, *, by: str | None, reason: str, comment: str | None = None) -> dict:
        """Clear by hand (`by` a user) or automatically (`by` None); 409 when already cleared."""
        doc = await self._clear({"_id": alert_id, "open": True}, by=by, reason=reason, comment=comment)
        if doc is None:
            await self.get(alert_id)
            raise Conflict("This alert is already cleared", code="already_cleared")
        return doc

    def escalations_due(self, now, update, limit: int) -> AsyncIterator[dict]:
        """Unacknowledged alerts whose escalation is due, each claimed once across processes with
        `update(candidate)` (server.jobs.claim_due: the due condition is repeated in the claim)."""
        due = {"state": ACTIVE_UNACK, "next_escalation_at": {"$ne": None, "$lte": now}}
        return claim_due(self.coll, due, update, limit=limit,
                         projection={"severity": 1, "patient_id": 1, "escalation_level": 1, "escalation_step": 1})

    async def clear_open(self, patient_id: str, type: str, source: str = "", reason: str = "auto") -> dict | None:
        return await self._clear({"patient_id": patient_id, "group": type, "source": source, "open": True},
                                 by=None, reason=reason)

    async def _clear(self, match: dict, *, by: str | None, reason: str, comment: str | None = None) -> dict | None:
        return await self._transition(
            match, ((ACTIVE_UNACK, CLEARED_UNACK), (ACTIVE_ACK, CLEARED_ACK)),
            {"open": False, "cleared_at": self.clock.now(), "cleared_by": by, "clear_reason": reason,
             "next_escalation_at": None},
            self.entry("cleared", by=by, reason=reason, comment=comment))

    async def set_stale(self, patient_id: str, stale: bool, reason: str, only: list[str] | None = None) -> list[dict]:
        """Mark the patient's open clinical alerts (those of `only` when given) as based on stale data
        (their devices offline) or not."""
        match = {"patient_id": patient_id, "open": True, "category": {"$ne": "device"}, "stale": not stale}
        if only is not None:
            match["_id"] = {"$in": only}
        docs = await self.coll.find(match, {"_id": 1}).to_list(None)
        out = []
        for d in docs:
            doc = await self.coll.find_one_and_update(
                {**match, "_id": d["_id"]},
                {"$set": {"stale": stale}, "$inc": {"rev": 1},
                 "$push": {"history": self.entry("stale" if stale else "fresh", reason=reason)}},
                return_document=ReturnDocument.AFTER)
            if doc is not None:
                out.append(doc)
        return out

    async def open_for(self, patient_ids: list[str]) -> list[dict]:
        return await self.coll.find({"patient_id": {"$in": patient_ids}, "open": True}).to_list(None)

    async def search(self, *, patient_ids: list[str] | None, active: bool | None = None,
                     unacknowledged: bool | None = None, min_rank: int | None = None, since_days: int = 7,
                     limit: int = 200) -> list[dict]:
        """Most severe first, then most recent. Closed alerts only from the last `since_days`
        (an indexed range: the history grows for ever, the screen does not)."""
        query: dict[str, Any] = {}
        if active is not True:
            query["last_at"] = {"$gte": self.clock.now() - timedelta(days=since_days)}
        if patient_ids is not None:
            query["patient_id"] = {"$in": patient_ids}
        if active is not None:
            query["open"] = active
        if unacknowledged is not None:
            query["acknowledged_at"] = None if unacknowledged else {"$ne": None}
        if min_rank is not None:
            query["severity_rank"] = {"$gte": min_rank}
        docs = await self.coll.find(query).to_list(None)
        docs.sort(key=lambda d: d["last_at"], reverse=True)
        docs.sort(key=lambda d: -d["severity_rank"])
        return docs[:limit]

    async def retrospective(self, patient_id: str, ep: dict) -> tuple[dict, str]:
        """Record what late data says about the past (server/alerting/retrospective.py): one clinical
        episode `ep` (its causes, severity, measured period), stored closed in the group "retrospective"
        (never open, so it neither blocks nor joins the live episode, is never escalated nor marked stale)
        that still waits for an acknowledgement. A finding that overlaps an earlier retrospective episode
        (within `ep["gap_s"]`) extends it (period, causes, severity) instead of raising another.
        No unique index backs this (the alert is not open): two processes evaluating the same buffer at
        the same moment could each raise one; a device's buffer normally reaches one process.
        Returns (doc, "raised" | "rose" | "cause_added" | "extended" | "same")."""
        now, gap = self.clock.now(), timedelta(seconds=ep["gap_s"])
        lo, hi, severity, value = ep["measured_from"], ep["measured_to"], ep["severity"], ep["value"]
        data = {**({"news2": ep["news2"]} if ep.get("news2") else {}), "retrospective": True}
        near = {"patient_id": patient_id, "group": RETROSPECTIVE, "retrospective": True,
                "measured_from": {"$lte": hi + gap}, "measured_to": {"$gte": lo - gap}}
        doc = await self.coll.find_one(near)
        if doc is None:
            doc = {"_id": new_id(), "patient_id": patient_id, "group": RETROSPECTIVE, "source": "",
                   "type": ep["type"], "category": "clinical", "kind": ep["kind"], "causes": ep["causes"],
                   "severity": severity, "severity_rank": rank(severity), "state": CLEARED_UNACK,
                   "open": False, "retrospective": True, "measured_from": lo, "measured_to": hi,
                   "first_at": now, "last_at": now, "first_value": value, "last_value": value, "count": 1,
                   "stale": False, "escalation_level": 0, "next_escalation_at": None, "acknowledged_by": None,
                   "acknowledged_at": None, "ack_comment": None, "cleared_at": now, "cleared_by": None,
                   "clear_reason": "retrospective", "data": data, "rev": 0,
                   "history": [self.entry("raised", severity=severity, value=value, measured_from=lo, measured_to=hi,
                                          causes=[c["key"] for c in ep["causes"]])],
                   "outbox": [self.intent("raised")]}
            await self.coll.insert_one(doc)
            self.metrics.alerts.labels(doc["state"]).inc()
            return doc, "raised"
        causes, added = merge_past(doc.get("causes") or [], ep["causes"])
        rose = rank(severity) > doc["severity_rank"]
        wider = lo < doc["measured_from"] or hi > doc["measured_to"]
        if not rose and not wider and not added and causes == doc.get("causes"):
            return doc, "same"
        update: dict[str, Any] = {"$min": {"measured_from": lo}, "$max": {"measured_to": hi},
                                  "$set": {"last_at": now, "causes": causes}, "$inc": {"rev": 1}}
        history = [self.entry("cause_added", cause=k) for k in added]
        if rose:  # worse than what was acknowledged: it needs a look again
            update["$set"].update({"severity": severity, "severity_rank": rank(severity), "last_value": value,
                                   "type": ep["type"], "kind": ep["kind"], "data": data, "state": CLEARED_UNACK,
                                   "acknowledged_by": None, "acknowledged_at": None})
            history.append(self.entry("severity_rose", severity=severity, value=value, previous=doc["severity"]))
            update["$push"] = {"outbox": self.intent("severity_rose")}
        if history:
            update.setdefault("$push", {})["history"] = {"$each": history}
        doc = await self.coll.find_one_and_update({"_id": doc["_id"]}, update, return_document=ReturnDocument.AFTER)
        return doc, "rose" if rose else "cause_added" if added else "extended"
