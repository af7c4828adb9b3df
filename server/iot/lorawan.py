"""LoRaWAN uplinks: the payload formats, and the webhook bodies of The Things Stack and ChirpStack.

Payloads (big-endian), told apart by length and first byte:
- v0, the earlier firmware's 8 bytes: temperature int16 ×100 (°C), heart rate uint16 (/min),
  uptime uint32 (s);
- v2, extended, 12 bytes: 0x02, temperature int16 ×100, heart rate uint16, SpO2 uint8 (%),
  battery uint8 (%), uptime uint32. "Not measured" is 0x7FFF for temperature, 0 for heart rate,
  0xFF for SpO2 and battery.

Seq: frame counters restart when a device re-joins, so the stored seq is a hash of
(device EUI, f_cnt, network receive time, payload): a webhook delivered twice is stored once,
a counter reset does not make new readings look like old ones.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.vitals import Rejected

V2 = 0x02
V2_FORMAT = ">BhHBBI"


@dataclass
class Uplink:
    dev_eui: str | None
    device_id: str | None
    f_cnt: int
    f_port: int
    payload: bytes
    network_time: str | None
    rssi: int | None


def decode(payload: bytes) -> tuple[dict[str, float], dict[str, Any]]:
    """(readings, device facts) from an uplink payload."""
    if len(payload) == 8:
        temp, hr, uptime = struct.unpack(">hHI", payload)
        spo2 = battery = 0xFF
    elif len(payload) == struct.calcsize(V2_FORMAT) and payload[0] == V2:
        _, temp, hr, spo2, battery, uptime = struct.unpack(V2_FORMAT, payload)
    else:
        raise Rejected(f"unknown LoRaWAN payload ({len(payload)} bytes; expected 8, or 12 starting with 0x02)",
                       code="bad_payload")
    readings: dict[str, float] = {}
    if temp != 0x7FFF:
        readings["temperature"] = temp / 100
    if hr:
        readings["heart_rate"] = float(hr)
    if spo2 != 0xFF:
        readings["spo2"] = float(spo2)
    facts = {"uptime": uptime, "battery": None if battery == 0xFF else float(battery)}
    return readings, facts


def encode_v2(temperature: float | None, heart_rate: int | None, spo2: int | None, battery: int | None,
              uptime: int) -> bytes:
    """The extended payload (used by tests, the simulator and firmware authors as the reference)."""
    return struct.pack(V2_FORMAT, V2, 0x7FFF if temperature is None else round(temperature * 100),
                       heart_rate or 0, 0xFF if spo2 is None else spo2, 0xFF if battery is None else battery, uptime)


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise Rejected("the uplink has no payload", code="bad_payload")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("the uplink payload is not base64", code="bad_payload") from None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def parse_tts(body: dict) -> Uplink:
    ids = body.get("end_device_ids") or {}
    up = body.get("uplink_message")
    if not isinstance(up, dict):
        raise Rejected("not an uplink message", code="not_uplink")
    rx = up.get("rx_metadata") or [{}]
    return Uplink(dev_eui=ids.get("dev_eui"), device_id=ids.get("device_id"), f_cnt=_int(up.get("f_cnt")),
                  f_port=_int(up.get("f_port")), payload=_b64(up.get("frm_payload")),
                  network_time=up.get("received_at") or body.get("received_at"),
                  rssi=rx[0].get("rssi") if isinstance(rx[0], dict) else None)


def parse_chirpstack(body: dict) -> Uplink:
    info = body.get("deviceInfo") or {}
    rx = body.get("rxInfo") or [{}]
    return Uplink(dev_eui=info.get("devEui") or body.get("devEUI"), device_id=info.get("deviceName"),
                  f_cnt=_int(body.get("fCnt")), f_port=_int(body.get("fPort")), payload=_b64(body.get("data")),
                  network_time=body.get("time") or body.get("deduplicationId"),
                  rssi=rx[0].get("rssi") if isinstance(rx[0], dict) else None)


def network_datetime(value: str | None) -> datetime | None:
    """RFC 3339 with up to nanoseconds (TTS) → datetime; anything else → None."""
    if not value or "T" not in value:
        return None
    m = re.fullmatch(r"(.+T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", value.strip())
    if not m:
        return None
    frac = (m.group(2) or "")[:7]
    try:
        return datetime.fromisoformat(m.group(1) + frac + m.group(3).replace("Z", "+00:00"))
    except ValueError:
        return None


def uplink_seq(up: Uplink) -> int:
    key = f"{up.dev_eui}|{up.device_id}|{up.f_cnt}|{up.network_time}|{up.payload.hex()}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:7], "big")
