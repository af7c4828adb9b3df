"""Conversations between people with a care relation: stored first, numbered, delivered, replayed.

A conversation is doctor–patient (`care:<doctor>:<patient>`) or doctor–pharmacist about one
prescription (`rx:<prescription>:<pharmacist>`); its id is derived from who and what, so opening
it twice (or from both sides at once) finds the same one. Whether the two may talk is asked of
`rooms.access.may_chat` on every send and typing signal: when the grant, unit membership,
prescription or appointment ends, the conversation stays readable but is closed to new messages.

A message takes the next `seq` of its conversation (`$inc` on the conversation), is stored, then
emitted as `chat:message` to both participants' `user:` rooms through the inbox (and an inbox item
when the recipient is offline). On connect with `auth.chat = {<conversation_id>: last_seq}` the
missed messages are sent to that socket after it joined its user room: nothing is missed, even with
several processes; a message sent meanwhile may come twice, and `(conversation_id, seq)` identifies it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from models.chat import OpenIn
from models.common import new_id
from models.documents import CHAT_MESSAGES, CONVERSATIONS, USERS, public
from models.errors import Forbidden, Invalid, NotFound
from models.identity import Identity
from rooms.access import may_chat
from rooms.names import user_room
from server import jobs
from server.accounts.people import display_name
from server.chat.presence import Presence
from server.clock import Clock
from server.inbox import texts
from server.inbox.notifier import Notifier
from server.realtime import events
from server.storage.db import Database

log = logging.getLogger(__name__)
CHAT_ROLES = ("doctor", "patient", "pharmacist")


class Chat:
    def __init__(self, db: Database, clock: Clock, notifier: Notifier, presence: Presence) -> None:
        self.db, self.clock, self.notifier, self.presence = db, clock, notifier, presence
        db.declare(CONVERSATIONS, IndexModel("participants"))
        db.declare(CHAT_MESSAGES, IndexModel([("conversation_id", 1), ("seq", 1)], unique=True),
                   IndexModel([("conversation_id", 1), ("sender_id", 1), ("client_id", 1)], unique=True,
                              partialFilterExpression={"client_id": {"$type": "string"}}, name="one_per_client_id"))

    # -- conversations ---------------------------------------------------------------
    async def open(self, identity: Identity, body: OpenIn) -> tuple[dict, bool]:
        """The conversation with `body.with_user_id` (created if new); 403 without a care relation."""
        other = await self.db[USERS].find_one({"_id": body.with_user_id, "is_active": True}, {"role": 1})
        if other is None or other["_id"] == identity.user_id:
            raise NotFound("No such user", code="user_not_found")
        roles = {identity.user_id: identity.role, other["_id"]: other["role"]}
        relation = await may_chat(self.db, self.clock, roles, body.prescription_id)
        if relation is None:
            raise Forbidden("You have no care relation with this person", code="no_care_relation")
        by_role = {role: uid for uid, role in roles.items()}
        if body.prescription_id:
            _id, kind = f"rx:{body.prescription_id}:{by_role['pharmacist']}", "prescription"
        else:
            _id, kind = f"care:{by_role['doctor']}:{by_role['patient']}", "care"
        result = await self.db[CONVERSATIONS].update_one(
            {"_id": _id}, {"$setOnInsert": {
                "kind": kind, "participants": sorted(roles), "roles": roles, "prescription_id": body.prescription_id,
                "created_by": identity.user_id, "created_at": self.clock.now(), "last_seq": 0, "last_at": None,
                "read": dict.fromkeys(roles, 0)}}, upsert=True)
        doc = await self.db[CONVERSATIONS].find_one({"_id": _id})
        return await self._public(doc, identity.user_id, relation), result.upserted_id is not None

    async def _get(self, identity: Identity, conversation_id: str) -> dict:
        doc = await self.db[CONVERSATIONS].find_one({"_id": conversation_id, "participants": identity.user_id})
        if doc is None:  # someone else's conversation looks like no conversation
            raise NotFound("No such conversation", code="conversation_not_found")
        return doc

    async def _relation(self, doc: dict) -> str | None:
        return await may_chat(self.db, self.clock, doc["roles"], doc.get("prescription_id"))

    async def _open_for(self, identity: Identity, conversation_id: str) -> dict:
        doc = await self._get(identity, conversation_id)
        if await self._relation(doc) is None:
            raise Forbidden("The care relation ended: this conversation is closed", code="conversation_closed")
        return doc

    async def _public(self, doc: dict, me: str, relation: str | None) -> dict:
        other = next(p for p in doc["participants"] if p != me)
        return {"id": doc["_id"], "kind": doc["kind"], "prescription_id": doc.get("prescription_id"),
                "participants": doc["participants"], "open": relation is not None, "relation": relation,
                "other": {"id": other, "role": doc["roles"][other], "name": await display_name(self.db, other),
                          "online": await self.presence.online(other)},
                "last_seq": doc["last_seq"], "last_at": doc["last_at"].isoformat() if doc["last_at"] else None,
                "read": doc["read"], "unread": doc["last_seq"] - doc["read"].get(me, 0),
                "created_at": doc["created_at"].isoformat()}

    async def conversations(self, identity: Identity) -> dict:
        docs = await self.db[CONVERSATIONS].find({"participants": identity.user_id}).to_list(None)
        docs.sort(key=lambda d: d["last_at"] or d["created_at"], reverse=True)
        return {"items": [await self._public(d, identity.user_id, await self._relation(d)) for d in docs]}

    # -- messages --------------------------------------------------------------------
    async def messages(self, identity: Identity, conversation_id: str, before_seq: int | None, limit: int) -> dict:
        """Newest first, `limit` at a time; `next_before_seq` pages back."""
        doc = await self._get(identity, conversation_id)
        top = (before_seq - 1) if before_seq is not None else doc["last_seq"]
        match = {"conversation_id": conversation_id, "seq": {"$gt": max(top - limit, 0), "$lte": top}}
        page = sorted(await self.db[CHAT_MESSAGES].find(match).to_list(None), key=lambda m: -m["seq"])
        low = max(top - limit, 0)
        return {"items": [public(m) for m in page], "next_before_seq": low + 1 if low > 0 else None}

    async def send(self, identity: Identity, conversation_id: str, text: str, client_id: str | None) -> dict:
        conv = await self._open_for(identity, conversation_id)
        if client_id and (same := await self._by_client_id(conversation_id, identity.user_id, client_id)):
            return public(same)
        now = self.clock.now()
        conv = await self.db[CONVERSATIONS].find_one_and_update(
            {"_id": conversation_id}, {"$inc": {"last_seq": 1}, "$set": {"last_at": now}},
            return_document=ReturnDocument.AFTER)
        seq = conv["last_seq"]
        msg = {"_id": new_id(), "conversation_id": conversation_id, "seq": seq, "sender_id": identity.user_id,
               "text": text, "client_id": client_id, "created_at": now}
        try:
            await self.db[CHAT_MESSAGES].insert_one(msg)
        except DuplicateKeyError:  # the same client_id raced itself: the first one stands (this seq stays unused)
            return public(await self._by_client_id(conversation_id, identity.user_id, client_id))
        await self.db[CONVERSATIONS].update_one({"_id": conversation_id}, {"$max": {f"read.{identity.user_id}": seq}})
        await self.notifier.broadcast(events.CHAT_MESSAGE, msg, [user_room(p) for p in conv["participants"]])
        for other in (p for p in conv["participants"] if p != identity.user_id):
            if not await self.presence.online(other):
                title, body = texts.render(events.CHAT_MESSAGE, name=await display_name(self.db, identity.user_id),
                                           text=text[:140])
                await self.notifier.notify([other], events.CHAT_MESSAGE, title=title, body=body,
                                           link={"type": "conversation", "id": conversation_id}, data={"seq": seq})
        return public(msg)

    async def _by_client_id(self, conversation_id: str, sender_id: str, client_id: str) -> dict | None:
        return await self.db[CHAT_MESSAGES].find_one(
            {"conversation_id": conversation_id, "sender_id": sender_id, "client_id": client_id})

    async def mark_read(self, identity: Identity, conversation_id: str, seq: int) -> dict:
        conv = await self._get(identity, conversation_id)
        if seq > conv["last_seq"]:
            raise Invalid(f"seq {seq} is beyond the last message ({conv['last_seq']})", code="invalid_seq")
        conv = await self.db[CONVERSATIONS].find_one_and_update(
            {"_id": conversation_id}, {"$max": {f"read.{identity.user_id}": seq}}, return_document=ReturnDocument.AFTER)
        receipt = {"conversation_id": conversation_id, "user_id": identity.user_id,
                   "seq": conv["read"][identity.user_id], "at": self.clock.now()}
        await self.notifier.broadcast(events.CHAT_READ, receipt, [user_room(p) for p in conv["participants"]])
        return {**receipt, "at": receipt["at"].isoformat()}

    async def typing(self, identity: Identity, conversation_id: str, typing: bool) -> dict:
        conv = await self._open_for(identity, conversation_id)
        signal = {"conversation_id": conversation_id, "user_id": identity.user_id, "typing": typing,
                  "at": self.clock.now()}
        await self.notifier.broadcast(events.CHAT_TYPING_CHANGED, signal,
                                      [user_room(p) for p in conv["participants"] if p != identity.user_id])
        return {"typing": typing}

    # -- connect / disconnect ----------------------------------------------------------
    async def on_connect(self, sid: str, identity: Identity, auth: Any) -> None:
        """SocketAuth connect hook (after the user room is joined): presence, then the asked-for replay."""
        cursors = parse_cursors(auth)
        if await self.presence.connected(sid, identity.user_id):
            await self._announce(identity.user_id, True)
        if cursors is None:
            return
        replayed, tops = 0, {}
        for conv_id, last_seq in cursors.items():
            conv = await self.db[CONVERSATIONS].find_one({"_id": conv_id, "participants": identity.user_id})
            if conv is None:
                continue
            tops[conv_id] = conv["last_seq"]
            match = {"conversation_id": conv_id, "seq": {"$gt": last_seq, "$lte": conv["last_seq"]}}
            for msg in sorted(await self.db[CHAT_MESSAGES].find(match).to_list(None), key=lambda m: m["seq"]):
                await self.notifier.send_to(sid, events.CHAT_MESSAGE, public(msg))
                replayed += 1
        await self.notifier.send_to(sid, events.CHAT_SYNCED, {"conversations": tops, "replayed": replayed})

    async def on_disconnect(self, sid: str) -> None:
        if (user_id := await self.presence.disconnected(sid)) is not None:
            await self._announce(user_id, False)

    async def beat(self) -> None:
        for user_id in await self.presence.beat():
            await self._announce(user_id, False)

    async def _announce(self, user_id: str, online: bool) -> None:
        convs = await self.db[CONVERSATIONS].find({"participants": user_id}, {"participants": 1}).to_list(None)
        others = {p for c in convs for p in c["participants"] if p != user_id}
        if others:
            await self.notifier.broadcast(events.CHAT_PRESENCE, {"user_id": user_id, "online": online,
                                                                 "at": self.clock.now()},
                                          [user_room(o) for o in sorted(others)])


def presence_ctx(chat: Chat, period_s: float):
    """cleanup_ctx: refresh this process's presence (and sweep dead processes') every `period_s`; at exit
    this process's sockets are gone."""

    async def ctx(_app) -> AsyncIterator[None]:
        task = asyncio.create_task(jobs.every("chat-presence", period_s, chat.beat), name="chat-presence")
        yield
        await jobs.stop(task)
        await chat.presence.leave_all()

    return ctx


def parse_cursors(auth: Any) -> dict[str, int] | None:
    raw = auth.get("chat") if isinstance(auth, dict) else None
    if raw is None:
        return None
    if not isinstance(raw, dict) or len(raw) > 500 or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in raw.items()):
        raise Invalid("auth.chat must map conversation ids to whole numbers ≥ 0", code="invalid_chat_cursors")
    return raw
