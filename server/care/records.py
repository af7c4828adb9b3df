"""Medical record entries: doctors with a `records` grant write, the patient and they read.

Pharmacists and admins never read records. Every access, allowed or refused, goes to the
audit trail with the caller's IP before the answer (server/care/audit.py). A refused doctor
gets 403 `no_grant`; someone asking for another patient's entry gets 404, never data.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo import IndexModel, ReturnDocument

from models.care import RecordIn, RecordPatch
from models.common import new_id
from models.documents import public
from models.errors import Forbidden, Invalid, NotFound
from models.identity import Identity
from rooms.access import may_access
from rooms.names import user_room
from server.accounts.people import display_name, require_patient
from server.care.audit import Audit
from server.clock import Clock
from server.inbox import texts
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)
RECORDS = "records"


class Records:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, audit: Audit, *,
                 allow_http: bool = False) -> None:
        self.db, self.clock, self.notifier, self.audit = db, clock, notifier, audit
        self.allow_http = allow_http  # ALLOW_HTTP_ATTACHMENTS: plain http: links, for development only
        db.declare(RECORDS, IndexModel([("patient_id", 1), ("visit_date", 1)]))

    async def _check(self, who: Identity, patient_id: str, action: str, obj: dict, ip: str | None,
                     write: bool) -> None:
        allowed = (who.role == "doctor" or not write) and await may_access(
            self.db, self.clock, who, patient_id, "records")
        if not allowed:
            await self.audit.log(who, patient_id, action, obj, ip, outcome="denied")
            if who.role == "patient" and who.user_id != patient_id:
                raise NotFound("No such record")
            raise Forbidden("No active access to this patient's records", code="no_grant")

    async def create(self, who: Identity, patient_id: str, body: RecordIn, ip: str | None) -> dict:
        self._links(body)
        await require_patient(self.db, patient_id)
        record_id = new_id()
        obj = {"type": "record", "id": record_id}
        await self._check(who, patient_id, "create", obj, ip, write=True)
        now = self.clock.now()
        doc = {"_id": record_id, "patient_id": patient_id, "doctor_id": who.user_id, **_fields(body),
               "created_at": now, "updated_at": now, "updated_by": who.user_id}
        await self.db[RECORDS].insert_one(doc)
        await self.audit.log(who, patient_id, "create", obj, ip, fields=sorted(_fields(body)))
        await self._tell(doc, who, events.RECORD_CREATED, "record:created")
        return public(doc)

    async def list(self, who: Identity, patient_id: str, ip: str | None) -> list[dict]:
        await require_patient(self.db, patient_id)
        obj = {"type": "records", "id": patient_id}
        await self._check(who, patient_id, "list", obj, ip, write=False)
        docs = await self.db[RECORDS].find({"patient_id": patient_id}).to_list(None)
        docs.sort(key=lambda d: (d["visit_date"], d["created_at"]), reverse=True)
        await self.audit.log(who, patient_id, "list", obj, ip)
        return [public(d) for d in docs]

    async def get(self, who: Identity, record_id: str, ip: str | None) -> dict:
        doc = await self._load(record_id)
        obj = {"type": "record", "id": record_id}
        await self._check(who, doc["patient_id"], "read", obj, ip, write=False)
        await self.audit.log(who, doc["patient_id"], "read", obj, ip)
        return public(doc)

    async def update(self, who: Identity, record_id: str, patch: RecordPatch, ip: str | None) -> dict:
        self._links(patch)
        doc = await self._load(record_id)
        obj = {"type": "record", "id": record_id}
        await self._check(who, doc["patient_id"], "update", obj, ip, write=True)
        changes = _fields(patch, only_set=True)
        doc = await self.db[RECORDS].find_one_and_update(
            {"_id": record_id}, {"$set": {**changes, "updated_at": self.clock.now(), "updated_by": who.user_id}},
            return_document=ReturnDocument.AFTER)
        await self.audit.log(who, doc["patient_id"], "update", obj, ip, fields=sorted(changes))
        await self._tell(doc, who, events.RECORD_UPDATED, "record:updated")
        return public(doc)

    def _links(self, body: RecordIn | RecordPatch) -> None:
        """Attachment links are https: (the model refuses every other scheme); http: only in development."""
        if self.allow_http:
            return
        bad = [{"field": f"attachments.{i}.url", "message": "must be an https: URL"}
               for i, a in enumerate(body.attachments or []) if a.url and a.url.lower().startswith("http:")]
        if bad:
            raise Invalid("Attachment links must use https:", details=bad)

    async def _load(self, record_id: str) -> dict:
        doc = await self.db[RECORDS].find_one({"_id": record_id})
        if doc is None:
            raise NotFound("No such record")
        return doc

    async def _tell(self, doc: dict, who: Identity, event: str, text_key: str) -> None:
        title, body = texts.render(text_key, name=await display_name(self.db, who.user_id))
        await self.notifier.notify(
            [doc["patient_id"]], event, title=title, body=body,
            link={"type": "record", "id": doc["_id"]})
        await self.notifier.broadcast(event, doc, [user_room(doc["patient_id"])])


def _fields(body: RecordIn | RecordPatch, only_set: bool = False) -> dict[str, Any]:
    data = body.model_dump(mode="json", exclude_unset=only_set)
    return {k: v for k, v in data.items() if v is not None} if only_set else data
