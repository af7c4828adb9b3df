"""The device registry: provisioning, who sees what, secrets, commands, presence and sessions."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from server.clock import FakeClock
from server.keys import DB, DEVICE_LINKS
from tests.support.iot import Inbox, device_sio, people, provision


@pytest.fixture
def clock():
    return FakeClock()


async def test_provisioning_validation_and_visibility(api):
    p = await people(api)
    pid = p["patient"]["id"]
    status, dev = await api.call("POST", "/api/iot/devices", p["admin"], json={
        "name": "Cardio", "type": "heart", "mac": "aa-bb-cc-dd-ee-ff", "ip": "192.168.1.20", "patient_id": pid,
        "firmware_version": "1.2.0"})
    assert status == 201 and dev["mac"] == "AA:BB:CC:DD:EE:FF" and dev["token"].startswith("fdj_")
    assert dev["status"] == "active" and dev["online"] is False
    stored = await api.client.app[DB]["devices"].find_one({"_id": dev["id"]})
    assert dev["token"] not in str(stored) and len(stored["secret_hash"]) == 64
    for bad in ({"mac": "AA:BB:CC:DD:EE:FF"}, {"mac": "not-a-mac"}, {"type": "toaster"}, {"ip": "999.1.1.1"},
                {"patient_id": p["doctor"]["id"]}, {"status": "broken"}):
        body = {"name": "x", "type": "heart", "mac": "11:22:33:44:55:66", **bad}
        status, err = await api.call("POST", "/api/iot/devices", p["admin"], json=body)
        assert status in (400, 409), (bad, err)
    assert (await api.call("POST", "/api/iot/devices", p["doctor_token"], json={}))[0] == 403
    # the patient sees their device, the granted doctor too; another doctor does not
    _, mine = await api.call("GET", "/api/iot/devices", p["patient_token"])
    assert [d["id"] for d in mine] == [dev["id"]] and "token" not in mine[0]
    assert (await api.call("GET", f"/api/iot/devices?patient_id={pid}", p["doctor_token"]))[0] == 200
    assert (await api.call("GET", f"/api/iot/devices/{dev['id']}", p["doctor_token"]))[0] == 200
    assert (await api.call("GET", f"/api/iot/devices/{dev['id']}", p["stranger_token"]))[0] == 403
    assert (await api.call("GET", f"/api/iot/devices?patient_id={pid}", p["stranger_token"]))[0] == 403
    status, upd = await api.call("PATCH", f"/api/iot/devices/{dev['id']}", p["admin"],
                                 json={"status": "maintenance", "patient_id": None})
    assert status == 200 and upd["status"] == "maintenance" and upd["patient_id"] is None
    assert (await api.call("GET", f"/api/iot/devices/{dev['id']}", p["doctor_token"]))[0] == 403


async def test_rotate_and_revoke_cut_the_old_secret(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    device = await device_sio(api, dev["id"], dev["token"])
    dropped = asyncio.Event()
    device.on("disconnect", dropped.set, namespace="/devices")
    status, rotated = await api.call("POST", f"/api/iot/devices/{dev['id']}/rotate", p["admin"])
    assert status == 200 and rotated["token"] != dev["token"]
    await asyncio.wait_for(dropped.wait(), 5)  # connections made with the old secret are closed
    reading = {"seq": 1, "readings": {"heart_rate": 70}}
    assert (await api.call("POST", "/api/iot/data", dev["token"], json=reading))[0] == 401
    assert (await api.call("POST", "/api/iot/data", rotated["token"], json=reading))[0] == 200
    await api.call("POST", f"/api/iot/devices/{dev['id']}/revoke", p["admin"])
    assert (await api.call("POST", "/api/iot/data", rotated["token"], json=reading))[0] == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        await device_sio(api, dev["id"], rotated["token"])


async def test_commands_queue_deliver_and_ack_over_socketio(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    path = f"/api/iot/devices/{dev['id']}/commands"
    status, err = await api.call("POST", path, p["admin"], json={"command": "set_interval", "params": {}})
    assert status == 400 and "interval_s" in str(err["error"]["details"])
    assert (await api.call("POST", path, p["doctor_token"], json={"command": "reboot"}))[0] == 403
    _, first = await api.call("POST", path, p["admin"], json={"command": "identify", "params": {"seconds": 5}})
    _, second = await api.call("POST", path, p["admin"], json={"command": "sync_time"})
    assert first["status"] == second["status"] == "queued"
    device = socketio.AsyncClient(reconnection=False)
    inbox = Inbox(device, "device:command", namespace="/devices")
    await device.connect(api.base_url, auth={"device_id": dev["id"], "token": dev["token"]},
                         transports=["websocket"], namespaces=["/devices"], wait_timeout=5)
    await inbox.wait(lambda i: len(i.items) == 2)
    got = inbox.of("device:command")
    assert [c["command"] for c in got] == ["identify", "sync_time"]
    assert got[1]["params"]["now"].startswith("2026-01-01T00:00:00")  # the server's (injected) clock
    _, third = await api.call("POST", path, p["admin"], json={"command": "set_interval", "params": {"interval_s": 30}})
    assert third["status"] == "sent" and third["via"] == "socketio"
    await inbox.wait(lambda i: len(i.items) == 3)
    ack = await device.call("command:ack", {"command_id": third["id"], "ok": True}, namespace="/devices")
    assert ack["ok"] and ack["data"]["status"] == "acked"
    ack = await device.call("command:ack", {"command_id": "nope"}, namespace="/devices")
    assert ack["error"]["code"] == "unknown_command"
    _, cmds = await api.call("GET", path, p["admin"])
    assert {c["command"]: c["status"] for c in cmds} == {"identify": "sent", "sync_time": "sent",
                                                          "set_interval": "acked"}
    _, info = await api.call("GET", f"/api/iot/devices/{dev['id']}", p["admin"])
    assert info["interval_s"] == 30
    await device.disconnect()


async def test_online_offline_from_the_server_clock(api, clock):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    admin = await api.sio(p["admin"])
    watcher = Inbox(admin, "device:status")
    device = await device_sio(api, dev["id"], dev["token"])
    await watcher.wait(lambda i: i.of("device:status"))
    assert watcher.of("device:status")[0] | {"at": None} == {
        "device_id": dev["id"], "patient_id": p["patient"]["id"], "online": True, "link": "socketio", "at": None}
    _, sessions = await api.call("GET", "/api/iot/sessions", p["admin"])
    assert [(s["device_id"], s["link"], s["peer"]) for s in sessions] == [(dev["id"], "socketio", "127.0.0.1")]
    assert (await api.call("GET", "/api/iot/sessions", p["doctor_token"]))[0] == 403
    hb = await device.call("device:heartbeat", {"battery": 42.5, "rssi": -67, "uptime": 1000, "free_heap": 90000},
                           namespace="/devices")
    assert hb["ok"]
    await device.disconnect()
    await watcher.wait(lambda i: len(i.of("device:status")) == 2)
    assert watcher.of("device:status")[1]["online"] is False
    _, info = await api.call("GET", f"/api/iot/devices/{dev['id']}", p["admin"])
    assert (info["battery"], info["signal_quality"], info["uptime"], info["free_heap"], info["online"]) == \
        (42.5, -67, 1000, 90000, False)
    # HTTP has no connection: online while heard from within DEVICE_HEARTBEAT_TIMEOUT (60 s)
    await api.call("POST", "/api/iot/data", dev["token"], json={"seq": 1, "readings": {"spo2": 97}})
    await watcher.wait(lambda i: len(i.of("device:status")) == 3)
    links = api.client.app[DEVICE_LINKS]
    clock.advance(59)
    await links.sweep()
    assert len(watcher.of("device:status")) == 3
    clock.advance(2)
    await links.sweep()
    await watcher.wait(lambda i: len(i.of("device:status")) == 4)
    assert [s["online"] for s in watcher.of("device:status")] == [True, False, True, False]
    assert watcher.of("device:status")[3]["link"] == "timeout"
    await admin.disconnect()


async def test_a_command_ack_is_announced_to_admins_only(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    admin = await api.sio(p["admin"])
    doctor = await api.sio(p["doctor_token"])
    acks, not_mine = Inbox(admin, "device:command_acked"), Inbox(doctor, "device:command_acked")
    device = socketio.AsyncClient(reconnection=False)
    inbox = Inbox(device, "device:command", namespace="/devices")
    await device.connect(api.base_url, auth={"device_id": dev["id"], "token": dev["token"]},
                         transports=["websocket"], namespaces=["/devices"], wait_timeout=5)
    path = f"/api/iot/devices/{dev['id']}/commands"
    _, cmd = await api.call("POST", path, p["admin"], json={"command": "identify", "params": {"seconds": 3}})
    await inbox.wait(lambda i: len(i.items) == 1)
    ack = await device.call("command:ack", {"command_id": cmd["id"], "ok": False, "result": {"error": "busy"}},
                            namespace="/devices")
    assert ack["ok"]
    await acks.wait(lambda i: i.items)
    await asyncio.sleep(0.3)  # settle: a duplicate, or one to the doctor, would have arrived by now
    (event,) = acks.of("device:command_acked")
    assert (event["id"], event["device_id"], event["status"], event["result"]) == (cmd["id"], dev["id"], "failed",
                                                                                   {"error": "busy"})
    assert not_mine.items == []
    for client in (device, admin, doctor):
        await client.disconnect()
