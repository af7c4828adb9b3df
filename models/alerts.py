"""Schemas for alerts, alert configuration, NEWS2 observations and care units."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from models.common import Input, Output

Severity = Literal["info", "warning", "critical", "emergency"]
COMMENT = Field(default=None, max_length=500)


class AckIn(Input):
    comment: str | None = COMMENT


class ClearIn(Input):
    comment: str | None = COMMENT


class ObservationIn(Input):
    """What a clinician observes and devices cannot: NEWS2's consciousness and oxygen."""

    consciousness: Literal["A", "C", "V", "P", "U"] | None = None
    supplemental_oxygen: bool | None = None
    respiratory_rate: float | None = Field(default=None, ge=0, le=80)


class BandIn(Input):
    severity: Severity
    threshold: float = Field(ge=-1000, le=10000)


class RuleOverrideIn(Input):
    bands: list[BandIn] | None = Field(default=None, min_length=1, max_length=4)
    enabled: bool | None = None
    duration_s: float | None = Field(default=None, ge=0, le=3600)
    min_readings: int | None = Field(default=None, ge=1, le=100)
    clear_after_s: float | None = Field(default=None, ge=0, le=86400)
    hysteresis: float | None = Field(default=None, ge=0, le=100)
    max_gap_s: float | None = Field(default=None, ge=1, le=86400)


class AlertConfigIn(Input):
    overrides: dict[str, RuleOverrideIn | None] | None = None
    spo2_scale: Literal[1, 2] | None = None
    reason: str | None = Field(default=None, max_length=500)


class UnitIn(Input):
    name: str = Field(min_length=2, max_length=100)
    kind: Literal["ward", "home_care"] = "ward"


class MemberIn(Input):
    user_id: str = Field(min_length=1, max_length=64)


class UnitWatchIn(Input):
    unit_id: str = Field(min_length=1, max_length=64)


# -- on-call rota of a care unit (server/care/oncall.py) --------------------------
MAX_SHIFT = timedelta(days=7)  # a week-end or a home-care week: longer is a typing mistake


def _aware(v: datetime) -> datetime:
    if v.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-03-20T08:00:00Z)")
    return v


class OnCallIn(Input):
    """One rota entry: this doctor answers escalations of the unit from `from` to `to` (UTC stored)."""

    model_config = ConfigDict(populate_by_name=True)

    doctor_id: str = Field(min_length=1, max_length=64)
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")

    _zone = field_validator("start", "end")(_aware)

    @field_validator("end")
    @classmethod
    def _order(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("`to` must be after `from`")
        if start is not None and end - start > MAX_SHIFT:
            raise ValueError("an on-call entry lasts at most 7 days")
        return end


class OnCallQuery(Input):
    """The window of entries to list (default: from now to 14 days ahead)."""

    model_config = ConfigDict(populate_by_name=True)

    start: datetime | None = Field(default=None, alias="from")
    end: datetime | None = Field(default=None, alias="to")

    _zone = field_validator("start", "end")(lambda v: v if v is None else _aware(v))


class OnCallEntryOut(Output):
    """An entry as the API answers it (server/care/oncall.py `entry_out`); documents the contract."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    unit_id: str
    doctor_id: str
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    created_by: str
    created_at: datetime


class OnCallListOut(Output):
    """A unit's rota in a window, and who is on call now (staff only)."""

    unit_id: str
    at: datetime
    on_call_now: list[str]
    truncated: bool
    entries: list[OnCallEntryOut]
