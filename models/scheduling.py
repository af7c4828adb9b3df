"""Schemas of doctors' slots and appointments (the earlier API's paths and field names)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from models.common import Input

ID = Field(min_length=1, max_length=64)
MAX_SLOT = timedelta(hours=12)


def _aware(v: datetime) -> datetime:
    if v.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-03-20T10:00:00Z)")
    return v


class SlotIn(Input):
    """`{start, end}` (ISO 8601 with a zone); `start_time`/`end_time` are accepted as well."""

    start: datetime
    end: datetime

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data):
        if isinstance(data, dict):
            data = dict(data)
            for old, new in (("start_time", "start"), ("end_time", "end")):
                if old in data and new not in data:
                    data[new] = data.pop(old)
        return data

    _zone = field_validator("start", "end")(_aware)

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end - self.start > MAX_SLOT:
            raise ValueError("a slot lasts at most 12 hours")
        return self


class AvailableQuery(Input):
    doctor_id: str | None = Field(default=None, min_length=1, max_length=64)
    speciality: str | None = Field(default=None, min_length=1, max_length=100)
    date: dt.date | None = Field(default=None, description="a day in the caller's time zone (profile)")


class ReserveIn(Input):
    slot_id: str = ID
    doctor_id: str = ID

    @field_validator("slot_id", "doctor_id", mode="before")
    @classmethod
    def _text(cls, v):
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v  # the earlier ids were numbers


class CancelIn(Input):
    reason: str = Field(min_length=1, max_length=1000)


class AppointmentQuery(Input):
    status: Literal["booked", "cancelled", "all"] = "booked"
