"""Inbox schemas: list filters and the socket payloads that mark items read."""

from __future__ import annotations

from pydantic import Field

from models.common import INT64, Input

TYPE = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-z_]+:[a-z_]+$")


class NotificationQuery(Input):
    unread: bool = False
    type: str | None = TYPE
    before_seq: int | None = Field(default=None, ge=1, le=INT64)
    limit: int = Field(default=50, ge=1, le=200)


class MarkReadIn(Input):
    id: str = Field(min_length=1, max_length=64)


class MarkAllReadIn(Input):
    pass
