"""Chat between people: conversations, messages, receipts, typing (bodies and queries)."""

from __future__ import annotations

from pydantic import Field

from models.common import INT64, Input

MAX_TEXT = 4000


class OpenIn(Input):
    """Open (or find) the conversation with `with_user_id`; `prescription_id` for doctor–pharmacist."""

    with_user_id: str = Field(min_length=1, max_length=64)
    prescription_id: str | None = Field(default=None, min_length=1, max_length=64)


class SendBody(Input):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)  # makes a retried send idempotent


class SendIn(SendBody):
    conversation_id: str = Field(min_length=1, max_length=200)


class ReadBody(Input):
    seq: int = Field(ge=1, le=INT64)


class ReadIn(ReadBody):
    conversation_id: str = Field(min_length=1, max_length=200)


class TypingIn(Input):
    conversation_id: str = Field(min_length=1, max_length=200)
    typing: bool = True


class MessagesQuery(Input):
    before_seq: int | None = Field(default=None, ge=1, le=INT64)
    limit: int = Field(default=50, ge=1, le=200)
