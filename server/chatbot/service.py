"""The chatbot: one question in, an answer out through the caller's transport, history kept.

`answer()` checks the per-user rate limit, finds the language and red flags, adds the caller's own
data when asked (server/chatbot/grounding.py), then asks Gemini (streamed for Socket.IO, one reply for
the earlier raw WebSocket) or the offline assistant. A red flag puts the emergency sentence first,
before any model text. When Gemini fails or is too slow the caller gets `chatbot:error
gemini_unavailable` and the offline answer. `send(event, payload)` is the transport: `to_socket(sid)`
for the `/chatbot` namespace, the raw WebSocket's frame writer otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from models.chatbot import ChatbotMessageIn, RateLimited
from models.common import new_id
from models.identity import Identity
from server.chatbot import offline, prompt
from server.chatbot.gemini import Gemini, GeminiFailed
from server.chatbot.grounding import Grounding
from server.chatbot.history import ChatbotHistory, public
from server.chatbot.ratelimit import PerUserLimit
from server.chatbot.safety import EMERGENCY, language, red_flags
from server.clock import Clock
from server.inbox.notifier import Notifier
from server.realtime import events

log = logging.getLogger(__name__)

Send = Callable[[str, dict], Awaitable[None]]
GEMINI_DOWN = {"fr": "L'assistant Gemini est indisponible ; réponse en mode hors ligne.",
               "en": "The Gemini assistant is unavailable; answering in offline mode."}


class Chatbot:
    def __init__(self, history: ChatbotHistory, grounding: Grounding, gemini: Gemini | None,
                 limit: PerUserLimit, notifier: Notifier, clock: Clock, history_turns: int) -> None:
        self.history, self.grounding, self.gemini, self.limit = history, grounding, gemini, limit
        self.notifier, self.clock, self.history_turns = notifier, clock, history_turns

    def to_socket(self, sid: str) -> Send:
        """The `/chatbot` socket that asked: chunks, errors and the reply go to it alone."""
        async def send(event: str, payload: dict) -> None:
            await self.notifier.send_to(sid, event, payload, namespace=events.CHATBOT_NAMESPACE)
        return send

    async def answer(self, identity: Identity, body: ChatbotMessageIn, send: Send, *, stream: bool = True) -> dict:
        if not await self.limit.hit(identity.user_id):
            refused = RateLimited(f"Too many questions: at most {self.limit.rate}", details={"limit": self.limit.rate})
            await send(events.CHATBOT_ERROR, {"reply_id": None, "code": refused.code, "message": refused.message})
            raise refused
        question, reply_id = body.message, new_id()
        lang, flags = language(question), red_flags(question)
        grounded = prompt.wants_my_data(question, body.include_my_data)
        data = await self.grounding.of(identity) if grounded else None
        pieces: list[str] = []

        async def chunk(text: str) -> None:
            await send(events.CHATBOT_CHUNK, {"reply_id": reply_id, "index": len(pieces), "text": text})
            pieces.append(text)

        prefix = f"{EMERGENCY[lang]}\n\n" if flags else ""
        if prefix:
            await chunk(prefix)
        mode, text = "offline", None
        if self.gemini is not None:
            try:
                text = await self._gemini(identity.user_id, question, data, chunk if stream else None)
                mode = "gemini"
            except GeminiFailed as exc:
                log.warning("gemini failed for a question (%s): offline answer", exc.reason)
                await send(events.CHATBOT_ERROR, {"reply_id": reply_id, "code": "gemini_unavailable",
                                                  "message": GEMINI_DOWN[lang], "reason": exc.reason})
        if text is None:
            text = offline.answer(question, lang, data)
            await chunk(text)
        elif not stream:
            await chunk(text)
        full = prefix + text
        doc = await self.history.add(identity.user_id, question, full, mode=mode, red_flags=flags, grounded=grounded)
        reply = {"reply_id": reply_id, "text": full, "mode": mode, "red_flags": flags, "grounded": grounded,
                 "lang": lang, "at": doc["at"].isoformat()}
        await send(events.CHATBOT_REPLY, reply)
        return reply

    async def _gemini(self, user_id: str, question: str, data: dict | None,
                      chunk: Callable[[str], Awaitable[None]] | None) -> str:
        past = await self.history.recent(user_id, self.history_turns)
        contents = prompt.contents(past, question, data)
        if chunk is None:
            return await self.gemini.reply(prompt.SYSTEM_PROMPT, contents)
        parts = []
        async for piece in self.gemini.stream(prompt.SYSTEM_PROMPT, contents):
            parts.append(piece)
            await chunk(piece)
        return "".join(parts)

    async def list_history(self, identity: Identity, limit: int = 50) -> dict[str, Any]:
        docs = await self.history.recent(identity.user_id, limit)
        return {"items": [public(d) for d in docs]}

    async def clear(self, identity: Identity) -> dict:
        return {"deleted": await self.history.clear(identity.user_id)}
