"""Schemas of treatments (the earlier API's `medocs_name`, `frequency`, `duration_days`) and intakes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from models.common import Input

NAME = Field(min_length=1, max_length=200)
FREQUENCY = Field(ge=1, le=24, description="intakes per day")
DURATION = Field(ge=1, le=365, description="days")


def _aware(v: datetime | None) -> datetime | None:
    if v is not None and v.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-03-20T10:00:00Z)")
    return v


def check_zone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone (e.g. Africa/Dakar, Europe/Paris)") from None
    return v


class TreatmentIn(Input):
    """A patient adds their own (`patient_id` omitted); a doctor with a grant names the patient."""

    medocs_name: str = NAME
    frequency: int = FREQUENCY
    duration_days: int = DURATION
    started_at: datetime | None = None
    patient_id: str | None = Field(default=None, min_length=1, max_length=64)
    _zone = field_validator("started_at")(_aware)


class TreatmentPut(Input):
    """PUT /api/treatments/{id}/: the earlier clients send the three fields; each may be omitted."""

    medocs_name: str | None = Field(default=None, min_length=1, max_length=200)
    frequency: int | None = Field(default=None, ge=1, le=24)
    duration_days: int | None = Field(default=None, ge=1, le=365)
    started_at: datetime | None = None
    _zone = field_validator("started_at")(_aware)

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        if any(getattr(self, f) is None for f in self.model_fields_set):
            raise ValueError("fields cannot be null")
        return self


class TreatmentQuery(Input):
    patient_id: str | None = Field(default=None, min_length=1, max_length=64)
    active: bool | None = None


class IntakeIn(Input):
    """The patient's answer to one scheduled intake (`due_at` as listed or as sent in the reminder)."""

    due_at: datetime
    status: Literal["taken", "skipped"]
    note: str | None = Field(default=None, max_length=500)
    _zone = field_validator("due_at")(_aware)


class IntakeQuery(Input):
    since: datetime | None = None
    until: datetime | None = None
    _zone = field_validator("since", "until")(_aware)


class TimezoneIn(Input):
    timezone: str = Field(min_length=1, max_length=64)
    _check = field_validator("timezone")(check_zone)
