"""LoRaWAN as the simulator speaks it: the payloads of firmware/core/src/lora.cpp (v0 8 bytes,
v2 11 bytes, big-endian) and the network servers' webhook bodies (The Things Stack uplink,
ChirpStack v4 `up` event) carrying them."""

from __future__ import annotations

import base64
import struct
import uuid
from datetime import datetime

from firmware.sim.frames import NONE8, Reading


def encode_v0(r: Reading, uptime_s: int) -> bytes:
    return struct.pack(">hHI", r.temperature_centi, r.heart_rate, uptime_s)


def encode_v2(r: Reading, battery: int | None, uptime_s: int) -> bytes:
    b = NONE8 if battery is None or not 0 <= battery <= 100 else battery
    return struct.pack(">BhHBBI", 2, r.temperature_centi, r.heart_rate, r.spo2, b, uptime_s)


def tts_body(device_id: str, dev_eui: str, payload: bytes, f_cnt: int, received_at: datetime, rssi: int = -80) -> dict:
    at = received_at.isoformat().replace("+00:00", "Z")
    return {"end_device_ids": {"device_id": device_id, "dev_eui": dev_eui.upper(),
                               "application_ids": {"application_id": "fadjma"}},
            "received_at": at,
            "uplink_message": {"f_port": 2, "f_cnt": f_cnt, "frm_payload": base64.b64encode(payload).decode(),
                               "rx_metadata": [{"gateway_ids": {"gateway_id": "sim-gw"}, "rssi": rssi, "snr": 7.5}],
                               "received_at": at}}


def chirpstack_body(device_id: str, dev_eui: str, payload: bytes, f_cnt: int, received_at: datetime,
                    rssi: int = -80) -> dict:
    return {"deduplicationId": str(uuid.uuid4()), "time": received_at.isoformat().replace("+00:00", "Z"),
            "deviceInfo": {"deviceName": device_id, "devEui": dev_eui.lower(), "applicationName": "fadjma"},
            "fCnt": f_cnt, "fPort": 2, "data": base64.b64encode(payload).decode(),
            "rxInfo": [{"gatewayId": "sim-gw", "rssi": rssi, "snr": 7.5}]}
