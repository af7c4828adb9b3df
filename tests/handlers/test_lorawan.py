"""LoRaWAN webhooks: TTS and ChirpStack bodies, both payload versions, secret, replays."""

from __future__ import annotations

import base64
import dataclasses
import struct
from datetime import UTC, datetime

import pytest

from server.clock import FakeClock
from server.iot.lorawan import decode, encode_v2
from server.keys import DB
from tests.support.iot import people, provision, stored_count, watching_doctor

SECRET = "lora-webhook-secret-0123456789"
EUI = "70B3D57ED0051234"


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, lorawan_webhook_secret=SECRET)


@pytest.fixture
def clock():
    """Minutes after the network times below: on the real clock they became older than the device-clock
    sanity window (7 days) on 2026-11-28, and a clock-suspect reading is placed at its receive time."""
    return FakeClock(datetime(2026, 11, 21, 10, 5, tzinfo=UTC))


def legacy(temp: float, hr: int, uptime: int) -> str:
    return base64.b64encode(struct.pack(">hHI", round(temp * 100), hr, uptime)).decode()


def tts_body(payload: str, f_cnt: int | None = None) -> dict:
    up = {"frm_payload": payload, "rx_metadata": [{"gateway_ids": {"gateway_id": "gw1"}, "rssi": -97, "snr": 7.2}],
          "received_at": f"2026-11-21T10:00:0{f_cnt or 0}.123456789Z"}
    if f_cnt is not None:  # TTS leaves zero values out of its JSON
        up |= {"f_cnt": f_cnt, "f_port": 1}
    return {"end_device_ids": {"device_id": "eui-70b3", "dev_eui": EUI,
                               "application_ids": {"application_id": "fadjma"}},
            "received_at": "2026-11-21T10:00:00Z", "uplink_message": up}


def test_payload_formats():
    assert decode(base64.b64decode(legacy(36.75, 82, 3600))) == (
        {"temperature": 36.75, "heart_rate": 82.0}, {"uptime": 3600, "battery": None})
    assert decode(encode_v2(-1.5, 0, 96, 77, 5)) == ({"temperature": -1.5, "spo2": 96.0},
                                                     {"uptime": 5, "battery": 77.0})
    assert decode(encode_v2(None, 60, None, None, 1))[0] == {"heart_rate": 60.0}


async def test_tts_and_chirpstack_uplinks(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"], dev_eui="70:b3:d5:7e:d0:05:12:34")
    doctor, inbox = await watching_doctor(api, p)
    hdr = {"X-Webhook-Secret": SECRET}
    status, body = await api.call("POST", "/api/iot/lorawan/tts", json=tts_body(legacy(36.8, 74, 120)), headers=hdr)
    assert status == 200 and body["status"] == "accepted" and (body["f_cnt"], body["f_port"]) == (0, 0)
    # the network server delivering the same uplink twice: stored once
    status, again = await api.call("POST", "/api/iot/lorawan/tts", json=tts_body(legacy(36.8, 74, 120)), headers=hdr)
    assert again["status"] == "duplicate" and again["seq"] == body["seq"]
    ext = base64.b64encode(encode_v2(37.1, 90, 94, 63, 7200)).decode()
    chirp = {"deduplicationId": "3b5a", "time": "2026-11-21T10:01:00Z",
             "deviceInfo": {"devEui": EUI.lower(), "deviceName": "bedside", "applicationId": "a1"},
             "fCnt": 12, "fPort": 2, "data": ext, "rxInfo": [{"rssi": -80, "snr": 9}]}
    status, body = await api.call("POST", "/api/iot/lorawan/chirpstack?event=up", json=chirp,
                                  headers={"Authorization": f"Bearer {SECRET}"})
    assert status == 200 and body["status"] == "accepted" and body["f_cnt"] == 12
    await inbox.wait(lambda i: len(i.of("vitals:new")) == 2)
    first, second = inbox.of("vitals:new")
    assert first["readings"]["temperature"]["value"] == 36.8 and first["readings"]["heart_rate"]["value"] == 74
    assert second["readings"]["spo2"] == {"value": 94.0, "unit": "%", "loinc": "59408-5"}
    assert second["ts"].startswith("2026-11-21T10:01:00")
    _, device = await api.call("GET", f"/api/iot/devices/{dev['id']}", p["admin"])
    assert device["battery"] == 63 and device["uptime"] == 7200 and device["signal_quality"] == -80
    # other ChirpStack events are accepted and ignored
    status, body = await api.call("POST", "/api/iot/lorawan/chirpstack?event=join", json={"deviceInfo": {}},
                                  headers=hdr)
    assert body == {"status": "ignored"}
    # an undecodable payload is answered (no retry storm) and counted
    status, body = await api.call("POST", "/api/iot/lorawan/tts", json=tts_body("AAEC", 3), headers=hdr)
    assert status == 200 and body["status"] == "rejected" and body["code"] == "bad_payload"
    _, device = await api.call("GET", f"/api/iot/devices/{dev['id']}", p["admin"])
    assert device["rejected_count"] == 1
    await doctor.disconnect()


async def test_webhook_secret_and_unknown_device(api):
    p = await people(api)
    await provision(api, p["admin"], p["patient"]["id"], dev_eui=EUI)
    body = tts_body(legacy(36.8, 74, 120), 1)
    assert (await api.call("POST", "/api/iot/lorawan/tts", json=body))[0] == 401
    assert (await api.call("POST", "/api/iot/lorawan/tts", json=body, headers={"X-Webhook-Secret": "nope"}))[0] == 401
    body["end_device_ids"]["dev_eui"] = "0000000000000001"
    body["end_device_ids"]["device_id"] = "ghost"
    status, err = await api.call("POST", "/api/iot/lorawan/tts", json=body, headers={"X-Webhook-Secret": SECRET})
    assert status == 404 and err["error"]["code"] == "unknown_device"
    assert await stored_count(api.client.app[DB]) == 0

