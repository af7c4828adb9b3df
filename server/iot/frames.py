"""Adapting what devices actually send (new and earlier firmware) to the one ingest input.

Accepted shapes, all ending as `{seq, ts, readings}` for `Ingest.submit`:
- the current one: `{seq?, ts?, readings: {kind: number | {value, unit}}}`;
- the earlier firmware's WebSocket frames: `{"type": "sensor_data", "device_mac", "data": {temperature,
  heart_rate, spo2, timestamp}}` and `{"type": "realtime_data", "device_id", "timestamp", "heart_rate", "spo2"}`;
- the earlier HTTP/MQTT bodies: `{device_id, timestamp, data: {...}}` or flat `{temperature, heart_rate, ...}`.

A `device_id` or `device_mac` in a frame must be the authenticated device's (an earlier system
trusted them; we only check them). Fields that are not vitals (humidity, location, battery) are
ignored here; battery goes to the heartbeat. The earlier firmware's `timestamp` was `millis()`
since boot: a number below 10^9 is not a date and is dropped (the server clock is used).
"""

from __future__ import annotations

from typing import Any

from models.devices import normalise_mac
from models.vitals import KINDS, Rejected
from server.iot.ingest import Ingest

ALIASES = {"heartRate": "heart_rate", "hr": "heart_rate", "bpm": "heart_rate", "spO2": "spo2", "SpO2": "spo2",
           "oxygen": "spo2", "temp": "temperature", "body_temperature": "temperature",
           "respiration": "respiratory_rate",
           "systolic_bp": "systolic", "diastolic_bp": "diastolic", "blood_glucose": "glucose"}


def _ts(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e9:
        return None  # millis() since boot, not a date
    return value


def check_identity(device: dict, frame: dict) -> None:
    claimed = frame.get("device_id")
    if claimed is not None and claimed != device["_id"]:
        raise Rejected("device_id in the frame is not the authenticated device", code="device_mismatch")
    mac = frame.get("device_mac")
    if mac is not None:
        try:
            same = normalise_mac(str(mac)) == device.get("mac")
        except ValueError:
            same = False
        if not same:
            raise Rejected("device_mac in the frame is not the authenticated device's", code="device_mismatch")


def to_vitals(device: dict, frame: Any) -> dict:
    """One frame/body into the ingest input; Rejected if it is not one."""
    if not isinstance(frame, dict):
        raise Rejected("a reading set must be a JSON object", code="invalid")
    check_identity(device, frame)
    if "readings" in frame:
        return {k: v for k, v in frame.items() if k in ("seq", "ts", "readings", "patient_id")}
    data = frame.get("data") if isinstance(frame.get("data"), dict) else frame
    readings = {}
    for key, value in data.items():
        kind = ALIASES.get(key, key)
        if kind in KINDS:
            readings[kind] = value
    out: dict[str, Any] = {"readings": readings}
    for key in ("seq", "patient_id"):
        if key in frame:
            out[key] = frame[key]
    ts = frame.get("ts", data.get("ts", data.get("timestamp", frame.get("timestamp"))))
    if _ts(ts) is not None:
        out["ts"] = ts
    return out


def battery_of(frame: Any) -> float | None:
    if not isinstance(frame, dict):
        return None
    data = frame.get("data") if isinstance(frame.get("data"), dict) else {}
    value = next((v for src in (frame, data) for k in ("battery_level", "battery") if (v := src.get(k)) is not None),
                 None)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100
    return float(value) if ok else None


async def submit_frame(ingest: Ingest, device: dict, frame: Any, source: str) -> dict:
    try:
        raw = to_vitals(device, frame)
    except Rejected as exc:
        await ingest.record_rejection(device, frame, exc, source)
        return {"status": "rejected", "seq": frame.get("seq") if isinstance(frame, dict) else None,
                "code": exc.code, "reason": exc.message, "details": exc.details}
    return await ingest.submit(device, raw, source)
