"""Each user's chatbot exchanges: the context sent back to Gemini, listed and cleared on request.

One document per exchange (question, answer, mode, red flags). Only the owner reads or clears
them: every query filters on the caller's user id.
"""

from __future__ import annotations

from bson import ObjectId
from pymongo import IndexModel

from models.documents import CHATBOT_HISTORY
from server.clock import Clock
from server.storage.db import Database

COLLECTION = CHATBOT_HISTORY
KEEP = 200  # exchanges kept per user; older ones are deleted as new ones come


class ChatbotHistory:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        db.declare(COLLECTION, IndexModel([("user_id", 1), ("at", 1)]))

    @property
    def coll(self):
        return self.db[COLLECTION]

    async def add(self, user_id: str, question: str, answer: str, *, mode: str, red_flags: list[str],
                  grounded: bool) -> dict:
        # ObjectId: unique and increasing within a process, so two exchanges at one clock instant keep their order.
        doc = {"_id": ObjectId(), "user_id": user_id, "at": self.clock.now(), "question": question,
               "answer": answer, "mode": mode, "red_flags": red_flags, "grounded": grounded}
        await self.coll.insert_one(doc)
        if await self.coll.count_documents({"user_id": user_id}) > KEEP:
            old = await self.recent(user_id, 10**6)
            await self.coll.delete_many({"_id": {"$in": [d["_id"] for d in old[:-KEEP]]}})
        return doc

    async def recent(self, user_id: str, limit: int) -> list[dict]:
        """The last `limit` exchanges, oldest first."""
        if limit <= 0:
            return []
        docs = await self.coll.find({"user_id": user_id}).to_list(None)
        docs.sort(key=lambda d: (d["at"], d["_id"]))
        return docs[-limit:]

    async def clear(self, user_id: str) -> int:
        result = await self.coll.delete_many({"user_id": user_id})
        return result.deleted_count


def public(doc: dict) -> dict:
    return {"id": str(doc["_id"]), "at": doc["at"].isoformat(), "question": doc["question"],
            "answer": doc["answer"], "mode": doc["mode"], "red_flags": doc["red_flags"], "grounded": doc["grounded"]}
