"""Socket.IO device path: a device sends, a watching doctor sees it live; dedupe, rejection, identity."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from server.keys import DB
from tests.support.iot import Inbox, device_sio, people, provision, stored_count


async def test_device_reading_reaches_watching_doctor_once(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    doctor = await api.sio(p["doctor_token"])
    inbox = Inbox(doctor, "vitals:new", "vitals:snapshot")
    ack = await doctor.call("vitals:watch", {"patient_id": p["patient"]["id"]})
    assert ack["ok"], ack
    assert ack["data"]["readings"] == {}
    device = await device_sio(api, dev["id"], dev["token"])
    reading = {"seq": 1, "readings": {"heart_rate": 72, "spo2": 97, "temperature": {"value": 98.6, "unit": "[degF]"}}}
    ack = await device.call("vitals:send", reading, namespace="/devices")
    assert ack == {"ok": True, "data": {"status": "accepted", "id": f"{dev['id']}:1", "seq": 1}}
    await inbox.wait(lambda i: i.of("vitals:new"))
    msg = inbox.of("vitals:new")[0]
    assert msg["patient_id"] == p["patient"]["id"] and msg["device_id"] == dev["id"]
    assert msg["readings"]["heart_rate"] == {"value": 72.0, "unit": "/min", "loinc": "8867-4"}
    assert msg["readings"]["temperature"] == {"value": 37.0, "unit": "Cel", "loinc": "8310-5"}
    assert msg["readings"]["spo2"]["loinc"] == "59408-5"
    # replaying the same seq is acknowledged as a duplicate and neither stored nor pushed twice
    again = await device.call("vitals:send", reading, namespace="/devices")
    assert again["data"]["status"] == "duplicate"
    await device.call("vitals:send", {"seq": 2, "readings": {"heart_rate": 80}}, namespace="/devices")
    await inbox.wait(lambda i: len(i.of("vitals:new")) == 2)
    assert [m["seq"] for m in inbox.of("vitals:new")] == [1, 2]
    assert await stored_count(api.client.app[DB], device_id=dev["id"]) == 2
    status, latest = await api.call("GET", f"/api/iot/patients/{p['patient']['id']}/vitals/latest", p["doctor_token"])
    assert status == 200
    assert latest["readings"]["heart_rate"]["value"] == 80 and latest["readings"]["spo2"]["value"] == 97
    await device.disconnect()
    await doctor.disconnect()


async def test_bad_readings_are_rejected_and_counted(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    device = await device_sio(api, dev["id"], dev["token"])
    bad = [
        {"seq": 1, "readings": {"heart_rate": 900}},          # impossible value
        {"seq": 2, "readings": {"heart_rate": "fast"}},        # wrong type
        {"seq": 3, "readings": {"mood": 3}},                    # unknown vital
        {"seq": 4, "readings": {}},                             # nothing
        {"seq": 5, "readings": {"spo2": 40}},
        {"seq": 6, "readings": {"temperature": {"value": 36, "unit": "K"}}},
        "not an object",
        {"seq": 7, "readings": {"heart_rate": 70}, "patient_id": "someone-else"},
        {"seq": -1, "readings": {"heart_rate": 70}},
    ]
    for item in bad:
        ack = await device.call("vitals:send", item, namespace="/devices")
        assert ack["ok"] is False and ack["error"]["code"] == "rejected", (item, ack)
    assert "outside the possible range" in (await device.call(
        "vitals:send", {"seq": 1, "readings": {"heart_rate": 900}}, namespace="/devices"))["error"]["message"]
    status, rej = await api.call("GET", f"/api/iot/devices/{dev['id']}/rejected", p["admin"])
    assert status == 200 and rej["count"] == len(bad) + 1
    codes = {r["code"] for r in rej["recent"]}
    assert codes >= {"out_of_range", "invalid", "unknown_kind", "wrong_patient", "bad_unit"}
    assert await stored_count(api.client.app[DB]) == 0
    await device.disconnect()


async def test_device_cannot_connect_as_another(api):
    p = await people(api)
    a = await provision(api, p["admin"], p["patient"]["id"])
    b = await provision(api, p["admin"], p["patient"]["id"])
    for auth in ({"device_id": b["id"], "token": a["token"]}, {"device_id": a["id"], "token": "fdj_wrong"},
                 {"device_id": a["id"]}, {"token": a["token"]}):
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(api.base_url, auth=auth, namespaces=["/devices"], transports=["websocket"],
                                 wait_timeout=5)
    # a user's access token is not a device token either
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(api.base_url, auth={"device_id": a["id"], "token": p["doctor_token"]},
                             namespaces=["/devices"], transports=["websocket"], wait_timeout=5)


async def test_watch_needs_a_vitals_grant(api):
    p = await people(api)
    stranger = await api.sio(p["stranger_token"])
    inbox = Inbox(stranger, "vitals:new", "vitals:snapshot")
    ack = await stranger.call("vitals:watch", {"patient_id": p["patient"]["id"]})
    assert ack["ok"] is False and ack["error"]["code"] == "no_grant"
    status, _ = await api.call("GET", f"/api/iot/patients/{p['patient']['id']}/vitals/latest", p["stranger_token"])
    assert status == 403
    dev = await provision(api, p["admin"], p["patient"]["id"])
    device = await device_sio(api, dev["id"], dev["token"])
    patient = await api.sio(p["patient_token"])
    own = Inbox(patient, "vitals:new")
    assert (await patient.call("vitals:watch", {"patient_id": p["patient"]["id"]}))["ok"]
    await device.call("vitals:send", {"seq": 1, "readings": {"heart_rate": 70}}, namespace="/devices")
    await own.wait(lambda i: i.of("vitals:new"))
    await asyncio.sleep(0.2)  # the stranger would have received it by now
    assert inbox.items == []
    for s in (stranger, device, patient):
        await s.disconnect()


async def test_snapshot_then_live_without_gap(api):
    """Readings stream in while the doctor starts watching: each is seen exactly once, in order."""
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    device = await device_sio(api, dev["id"], dev["token"])
    doctor = await api.sio(p["doctor_token"])
    inbox = Inbox(doctor, "vitals:new", "vitals:snapshot")
    total, underway = 60, asyncio.Event()

    async def stream():
        for seq in range(1, total + 1):
            ack = await device.call("vitals:send", {"seq": seq, "readings": {"heart_rate": 40 + seq}},
                                    namespace="/devices")
            assert ack["ok"]
            if seq == total // 3:
                underway.set()

    sender = asyncio.create_task(stream())
    await underway.wait()
    assert (await doctor.call("vitals:watch", {"patient_id": p["patient"]["id"]}))["ok"]
    await sender
    await inbox.wait(lambda i: i.items and i.items[-1][0] == "vitals:new" and i.items[-1][1]["seq"] == total)
    assert inbox.items[0][0] == "vitals:snapshot"
    in_snapshot = inbox.items[0][1]["readings"].get("heart_rate")
    first_live = int(in_snapshot["value"]) - 40 + 1 if in_snapshot else 1
    assert first_live <= total
    assert [d["seq"] for d in inbox.of("vitals:new")] == list(range(first_live, total + 1))
    assert len(inbox.of("vitals:snapshot")) == 1
    await device.disconnect()
    await doctor.disconnect()
