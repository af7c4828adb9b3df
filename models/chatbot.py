"""Chatbot payloads: a question in, and the refusal raised when a user asks too often."""

from __future__ import annotations

from pydantic import Field

from models.common import Input
from models.errors import DomainError

MAX_QUESTION = 2000


class ChatbotMessageIn(Input):
    """`chatbot:message` and the raw WebSocket's `{"message": …}` frame.

    `include_my_data`: true to ground the answer in the caller's own data (latest vitals, open
    alerts, current prescriptions, next appointment), false never to; absent, the server grounds
    only when the question is about the caller's own data ("mes constantes", "my alerts", …).
    """

    message: str = Field(min_length=1, max_length=MAX_QUESTION)
    include_my_data: bool | None = None


class ChatbotClearIn(Input):
    pass


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
