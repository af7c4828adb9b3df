"""Vital-sign readings: the one input shape every transport is adapted to, and its normalisation.

Each kind has its LOINC code, its UCUM unit, and the physiologically possible range a
value must fall in (impossible values are sensor faults, rejected and counted, never
stored). Values may be sent as a bare number (already in the canonical unit) or as
`{value, unit}` in an accepted alternative unit (°F, mmol/L, kPa), converted here.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.errors import DomainError


class Rejected(DomainError):
    """A reading set that cannot be stored (impossible value, wrong device or patient, bad shape)."""

    status = 422
    code = "rejected"


@dataclass(frozen=True, slots=True)
class Kind:
    loinc: str
    unit: str  # UCUM
    display: str
    lo: float
    hi: float


KINDS: dict[str, Kind] = {
    "heart_rate": Kind("8867-4", "/min", "Heart rate", 20, 300),
    "spo2": Kind("59408-5", "%", "Oxygen saturation in Arterial blood by Pulse oximetry", 50, 100),
    "temperature": Kind("8310-5", "Cel", "Body temperature", 25, 45),
    "systolic": Kind("8480-6", "mm[Hg]", "Systolic blood pressure", 40, 300),
    "diastolic": Kind("8462-4", "mm[Hg]", "Diastolic blood pressure", 20, 200),
    "glucose": Kind("2339-0", "mg/dL", "Glucose [Mass/volume] in Blood", 10, 1500),
    "respiratory_rate": Kind("9279-1", "/min", "Respiratory rate", 2, 80),
}
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")

# Alternative units a device may send, as converters into the canonical UCUM unit.
_SAME = {"/min": ("/min", "bpm", "min-1", "1/min", "{beats}/min", "{breaths}/min"),
         "%": ("%",), "Cel": ("Cel", "C", "°C", "degC"), "mm[Hg]": ("mm[Hg]", "mmHg"),
         "mg/dL": ("mg/dL", "mg/dl")}
_CONVERT = {
    ("Cel", "[degF]"): lambda f: (f - 32) * 5 / 9, ("Cel", "F"): lambda f: (f - 32) * 5 / 9,
    ("Cel", "°F"): lambda f: (f - 32) * 5 / 9, ("Cel", "degF"): lambda f: (f - 32) * 5 / 9,
    ("mg/dL", "mmol/L"): lambda v: v * 18.016, ("mm[Hg]", "kPa"): lambda v: v * 7.50062,
}

# Clock sanity: a device time further than this from the server clock is kept but flagged.
FUTURE_SKEW = timedelta(minutes=5)
PAST_SKEW = timedelta(days=7)


class ValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float
    unit: str = Field(max_length=16)


class VitalsIn(BaseModel):
    """One reading set as every transport hands it to the ingest pipeline."""

    model_config = ConfigDict(extra="forbid")
    seq: int | None = Field(default=None, ge=0, lt=2**62)
    ts: datetime | float | None = None
    patient_id: str | None = Field(default=None, max_length=64)
    readings: dict[str, float | ValueIn] = Field(min_length=1, max_length=len(KINDS))

    @field_validator("readings", mode="before")
    @classmethod
    def _drop_nulls(cls, v: Any) -> Any:
        # Firmware sends null for a sensor that is not fitted; that is "no reading", not an error.
        if isinstance(v, dict):
            v = {k: x for k, x in v.items() if x is not None}
            for k, x in v.items():
                if isinstance(x, bool):
                    raise ValueError(f"{k} must be a number")
        return v


def parse_ts(raw: datetime | float | None) -> datetime | None:
    """Device time: an aware datetime, or epoch seconds (milliseconds if > 1e12)."""
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if not math.isfinite(raw):
        raise Rejected("ts is not a finite number", code="bad_timestamp")
    seconds = raw / 1000 if raw > 1e12 else raw
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise Rejected("ts is out of range", code="bad_timestamp") from None


def normalise(kind: str, raw: float | ValueIn) -> dict:
    """One reading into {value, unit, loinc}, in the canonical unit, range-checked."""
    spec = KINDS.get(kind)
    if spec is None:
        raise Rejected(f"unknown vital {kind!r} (expected one of {', '.join(KINDS)})", code="unknown_kind")
    value, unit = (raw.value, raw.unit.strip()) if isinstance(raw, ValueIn) else (float(raw), spec.unit)
    if unit not in _SAME.get(spec.unit, (spec.unit,)):
        convert = _CONVERT.get((spec.unit, unit))
        if convert is None:
            raise Rejected(f"{kind}: unit {unit!r} is not accepted (send {spec.unit})", code="bad_unit")
        value = convert(value)
    if not math.isfinite(value) or not spec.lo <= value <= spec.hi:
        raise Rejected(f"{kind} {value:g} {spec.unit} is outside the possible range {spec.lo:g}–{spec.hi:g}",
                       code="out_of_range", details=[{"field": f"readings.{kind}", "message": "out of range"}])
    return {"value": round(value, 2), "unit": spec.unit, "loinc": spec.loinc}


def derived_seq(device_id: str, ts: datetime, readings: dict) -> int:
    """A seq for a reading set sent without one: same content at the same time → same seq.

    Negative, so it can never collide with a device's own (non-negative) counter."""
    body = f"{device_id}|{ts.isoformat()}|" + ",".join(f"{k}={readings[k]['value']}" for k in sorted(readings))
    return -(int.from_bytes(hashlib.sha256(body.encode()).digest()[:8], "big") >> 2) - 1


def build_message(device: dict, data: VitalsIn, now: datetime) -> dict:
    """The stored message doc (see interfaces.md), or Rejected."""
    patient_id = device.get("patient_id")
    if not patient_id:
        raise Rejected("this device is not assigned to a patient", code="unassigned_device")
    if data.patient_id is not None and data.patient_id != patient_id:
        raise Rejected("a device can only send for its assigned patient", code="wrong_patient")
    readings = {kind: normalise(kind, raw) for kind, raw in data.readings.items()}
    device_ts = parse_ts(data.ts)
    suspect = device_ts is not None and not (now - PAST_SKEW <= device_ts <= now + FUTURE_SKEW)
    seq = data.seq if data.seq is not None else derived_seq(device["_id"], device_ts or now, readings)
    # `ts` is the measurement time everything downstream orders and ages by (history, latest values,
    # rules, NEWS2, the chart). A clock we do not trust measures nothing: the receive time stands in,
    # and the device's claim is kept as `device_ts`.
    doc = {"_id": f"{device['_id']}:{seq}", "device_id": device["_id"], "patient_id": patient_id,
           "seq": seq, "ts": now if suspect else (device_ts or now), "received_at": now, "clock_suspect": suspect,
           "readings": readings}
    if suspect:
        doc["device_ts"] = device_ts
    return doc


MESSAGE_FIELDS = ("device_id", "patient_id", "seq", "ts", "received_at", "clock_suspect", "readings")
