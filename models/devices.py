"""Device registry schemas: provisioning, updates, commands, heartbeats and device alerts."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.common import INT64, Input
from models.documents import public

DeviceType = Literal["heart", "temperature", "blood_pressure", "oxygen", "glucose", "multi_sensor"]
DeviceStatus = Literal["active", "inactive", "maintenance", "error"]
CommandName = Literal["set_interval", "identify", "reboot", "sync_time"]
DEVICE_ID = Field(default=None, pattern=r"^[A-Za-z0-9_-]{3,64}$",
                  description="optional; letters, digits, _ and - (it is also the MQTT username)")
_MAC = re.compile(r"^[0-9A-F]{2}([:-]?[0-9A-F]{2}){5}$")


def normalise_mac(value: str) -> str:
    """AA:BB:CC:DD:EE:FF, whatever separators or case the device used."""
    raw = value.strip().upper()
    if not _MAC.match(raw):
        raise ValueError("MAC address must be 6 hex bytes, e.g. AA:BB:CC:DD:EE:FF")
    digits = raw.replace(":", "").replace("-", "")
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


class _DeviceFields(Input):
    @field_validator("mac", check_fields=False)
    @classmethod
    def _mac(cls, v):
        return normalise_mac(v) if v is not None else v

    @field_validator("ip", check_fields=False)
    @classmethod
    def _ip(cls, v):
        return str(ipaddress.ip_address(v)) if v else v

    @field_validator("dev_eui", check_fields=False)
    @classmethod
    def _eui(cls, v):
        if v is None:
            return v
        v = v.replace(":", "").replace("-", "").upper()
        if not re.fullmatch(r"[0-9A-F]{16}", v):
            raise ValueError("dev_eui must be 8 hex bytes")
        return v


class DeviceCreateIn(_DeviceFields):
    device_id: str | None = DEVICE_ID
    name: str = Field(min_length=1, max_length=100)
    type: DeviceType
    mac: str
    ip: str | None = None
    patient_id: str | None = Field(default=None, max_length=64)
    status: DeviceStatus = "active"
    firmware_version: str | None = Field(default=None, max_length=32)
    dev_eui: str | None = Field(default=None, description="LoRaWAN DevEUI, for the webhooks")
    interval_s: int = Field(default=5, ge=1, le=3600)


class DeviceUpdateIn(_DeviceFields):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    type: DeviceType | None = None
    mac: str | None = None
    ip: str | None = None
    patient_id: str | None = Field(default=None, max_length=64)
    status: DeviceStatus | None = None
    firmware_version: str | None = Field(default=None, max_length=32)
    dev_eui: str | None = None

    def changes(self) -> dict:
        # Only fields actually sent: `{"patient_id": null}` unassigns, an absent field is kept.
        return self.model_dump(include=self.model_fields_set)


class CommandIn(Input):
    command: CommandName
    params: dict = Field(default_factory=dict)

    @model_validator(mode="after")
    def _params(self):
        if self.command == "set_interval":
            interval = self.params.get("interval_s")
            if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 3600:
                raise ValueError("set_interval needs params.interval_s, a whole number of seconds 1..3600")
            self.params = {"interval_s": interval}
        elif self.command == "identify":
            seconds = self.params.get("seconds", 10)
            if not isinstance(seconds, int) or not 1 <= seconds <= 120:
                raise ValueError("identify takes params.seconds 1..120")
            self.params = {"seconds": seconds}
        else:
            self.params = {}  # reboot takes none; sync_time gets the server time when sent
        return self


class _DeviceMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")  # firmware adds fields freely; unknown ones are not errors


class HeartbeatIn(_DeviceMessage):
    battery: float | None = Field(default=None, ge=0, le=100)
    rssi: int | None = Field(default=None, ge=-200, le=50)
    uptime: int | None = Field(default=None, ge=0, le=INT64)
    free_heap: int | None = Field(default=None, ge=0, le=INT64)
    firmware: str | None = Field(default=None, max_length=32)


class DeviceAlertIn(_DeviceMessage):
    code: str = Field(min_length=1, max_length=64)
    message: str = Field(default="", max_length=500)
    severity: Literal["info", "warning", "critical", "emergency"] | None = None


class CommandAckIn(_DeviceMessage):
    command_id: str = Field(min_length=1, max_length=64)
    ok: bool = True
    result: dict | str | None = None


PUBLIC_FIELDS = ("name", "type", "mac", "ip", "patient_id", "status", "online", "last_seen",
                 "firmware_version", "battery", "signal_quality", "uptime", "free_heap", "interval_s",
                 "dev_eui", "rejected_count", "revoked_at", "created_at", "updated_at")


def device_json(doc: dict) -> dict:
    """The device as clients see it: its public fields, counters and flags defaulted."""
    return {**public(doc, fields=PUBLIC_FIELDS), "rejected_count": doc.get("rejected_count", 0),
            "online": bool(doc.get("online"))}
