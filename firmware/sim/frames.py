"""The device's frames, byte for byte as firmware/core/src/frames.cpp builds them (same key order,
same number formats: checked against firmware/vectors/vectors.json), and its command handling."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

NO_TEMPERATURE = 0x7FFF
NONE8 = 0xFF
NAMESPACE = "/devices"
EXTRA_KINDS = ("systolic", "diastolic", "glucose")  # the simulator's extra sensors (not on the ESP32 board)


@dataclass
class Reading:
    seq: int
    ts_ms: int = 0  # epoch ms; 0 = the device clock was not synced
    uptime_ms: int = 0
    boot: int = 0
    heart_rate: int = 0
    spo2: int = NONE8
    temperature_centi: int = NO_TEMPERATURE
    respiratory_rate: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def has_values(self) -> bool:
        return bool(self.heart_rate or self.spo2 != NONE8 or self.temperature_centi != NO_TEMPERATURE
                    or self.respiratory_rate or self.extra)

    def values(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.heart_rate:
            out["heart_rate"] = self.heart_rate
        if self.spo2 != NONE8:
            out["spo2"] = self.spo2
        if self.temperature_centi != NO_TEMPERATURE:
            out["temperature"] = self.temperature_centi / 100
        if self.respiratory_rate:
            out["respiratory_rate"] = self.respiratory_rate
        return {**out, **self.extra}


def centi(h: int) -> str:
    sign, h = ("-", -h) if h < 0 else ("", h)
    whole, frac = divmod(h, 100)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac // 10}{frac % 10 if frac % 10 else ''}"


def _members(r: Reading) -> str:
    parts = [f'"seq":{r.seq}']
    if r.ts_ms > 0:
        parts.append(f'"ts":{r.ts_ms}')
    readings = []
    if r.heart_rate:
        readings.append(f'"heart_rate":{r.heart_rate}')
    if r.spo2 != NONE8:
        readings.append(f'"spo2":{r.spo2}')
    if r.temperature_centi != NO_TEMPERATURE:
        readings.append(f'"temperature":{centi(r.temperature_centi)}')
    if r.respiratory_rate:
        readings.append(f'"respiratory_rate":{r.respiratory_rate}')
    readings += [f'"{k}":{r.extra[k]}' for k in EXTRA_KINDS if k in r.extra]
    parts.append('"readings":{' + ",".join(readings) + "}")
    if r.ts_ms <= 0:
        parts.append('"synced":false')
    return ",".join(parts)


def vitals_json(r: Reading) -> str:
    return "{" + _members(r) + "}"


def ws_vitals_json(r: Reading) -> str:
    return '{"type":"vitals",' + _members(r) + "}"


def batch_json(readings: list[Reading]) -> str:
    return '{"measurements":[' + ",".join(vitals_json(r) for r in readings) + "]}"


def heartbeat_json(battery: int = -1, rssi: int = 0, uptime_s: int = 0, free_heap: int = 0, firmware: str = "",
                   ws_type: str | None = None) -> str:
    parts = [f'"type":"{ws_type}"'] if ws_type else []
    if battery >= 0:
        parts.append(f'"battery":{battery}')
    if rssi:
        parts.append(f'"rssi":{rssi}')
    parts += [f'"uptime":{uptime_s}', f'"free_heap":{free_heap}']
    if firmware:
        parts.append(f'"firmware":{json.dumps(firmware)}')
    return "{" + ",".join(parts) + "}"


def mqtt_topic(device_id: str, kind: str) -> str:
    return f"fadjma/devices/{device_id}/{kind}"


def sio_connect_payload(device_id: str, token: str) -> str:
    return NAMESPACE + "," + json.dumps({"device_id": device_id, "token": token}, separators=(",", ":"))


def sio_event_payload(ack_id: int, event: str, data_json: str) -> str:
    return f'{NAMESPACE},{ack_id}[{json.dumps(event)},{data_json}]'


@dataclass
class Command:
    id: str
    name: str
    interval_s: int = 0
    seconds: int = 0
    now: datetime | None = None
    error: str = ""


def parse_command(obj: dict) -> Command | None:
    """{id, command, params} → Command (error set when it cannot be carried out); None without an id."""
    if not isinstance(obj, dict) or not obj.get("id"):
        return None
    name, params = obj.get("command") or "", obj.get("params") or {}
    cmd = Command(str(obj["id"]), name)
    if name == "set_interval":
        v = params.get("interval_s")
        if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 3600:
            cmd.interval_s = v
        else:
            cmd.error = "interval_s must be 1..3600"
    elif name == "identify":
        v = params.get("seconds", 10)
        if isinstance(v, int) and 1 <= v <= 120:
            cmd.seconds = v
        else:
            cmd.error = "seconds must be 1..120"
    elif name == "sync_time":
        try:
            cmd.now = datetime.fromisoformat(str(params.get("now")).replace("Z", "+00:00"))
            if cmd.now.tzinfo is None:
                raise ValueError
        except ValueError:
            cmd.error = "params.now must be an ISO 8601 time"
    elif name != "reboot":
        cmd.error = "unknown command"
    return cmd


def command_result(cmd: Command) -> dict:
    if cmd.error:
        return {"error": cmd.error}
    return {"set_interval": {"interval_s": cmd.interval_s}, "identify": {"seconds": cmd.seconds},
            "reboot": {"rebooting": True}, "sync_time": {"synced": True}}[cmd.name]


def command_ack_json(cmd: Command, ws_type: str | None = None) -> str:
    head = f'"type":"{ws_type}",' if ws_type else ""
    result = json.dumps(command_result(cmd), separators=(",", ":"))
    ok = "false" if cmd.error else "true"
    return "{" + head + f'"command_id":{json.dumps(cmd.id)},"ok":{ok},"result":{result}' + "}"
