"""Schemas of the care workflows: access requests, prescriptions, pharmacy stock, records, audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from models.common import Input

ID = Field(min_length=1, max_length=64)
Scope = Literal["records", "vitals", "prescriptions"]
Status = Literal["created", "validated", "prepared", "ready", "delivered", "rejected", "cancelled"]
REASON = Field(default=None, min_length=1, max_length=1000)


class AccessRequestIn(Input):
    patient_id: str = ID
    reason: str = Field(min_length=3, max_length=1000)
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    duration_days: int = Field(ge=1, le=365)

    @field_validator("scopes")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        return sorted(set(v))


class DecisionIn(Input):
    reason: str | None = REASON


class RequestQuery(Input):
    status: Literal["pending", "approved", "rejected"] | None = None


class GrantQuery(Input):
    include_ended: bool = False


class Medication(Input):
    name: str = Field(min_length=1, max_length=200)
    dose: str = Field(min_length=1, max_length=100)
    frequency: str = Field(min_length=1, max_length=100)
    duration: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=1, ge=1, le=1000, description="units the pharmacy hands out")
    notes: str = Field(default="", max_length=1000)


class PrescriptionIn(Input):
    patient_id: str = ID
    medications: list[Medication] = Field(min_length=1, max_length=50)
    notes: str = Field(default="", max_length=2000)


class StatusIn(Input):
    status: Status
    reason: str | None = REASON

    @model_validator(mode="after")
    def _reason_when_stopping(self):
        if self.status in ("rejected", "cancelled") and not self.reason:
            raise ValueError(f"a reason is required to set status {self.status}")
        return self


class StatusEventIn(StatusIn):
    id: str = ID


class PrescriptionQuery(Input):
    status: Status | None = None
    patient_id: str | None = Field(default=None, min_length=1, max_length=64)
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=200, ge=1, le=500)


class RestockIn(Input):
    name: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=100_000, description="units added to the stock")
    threshold: int | None = Field(default=None, ge=0, le=100_000)


class Attachment(Input):
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=3, max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")
    size: int = Field(ge=0, le=100 * 1024 * 1024)
    url: str | None = Field(default=None, max_length=2000)

    @field_validator("url")
    @classmethod
    def _web_link(cls, url: str | None) -> str | None:
        """An https: link to a host (http: is refused by the records service unless ALLOW_HTTP_ATTACHMENTS):
        never javascript:, data:, file: or a link with credentials in it."""
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("https", "http") or not parts.hostname or any(c.isspace() for c in url):
            raise ValueError("must be an https: URL")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry a user name or password")
        return url


class RecordIn(Input):
    diagnosis: str = Field(min_length=1, max_length=2000)
    notes: str = Field(default="", max_length=10_000)
    visit_date: date
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)


class RecordPatch(Input):
    diagnosis: str | None = Field(default=None, min_length=1, max_length=2000)
    notes: str | None = Field(default=None, max_length=10_000)
    visit_date: date | None = None
    attachments: list[Attachment] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class AuditQuery(Input):
    include_self: bool = False
    before: datetime | None = None
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=100, ge=1, le=500)
