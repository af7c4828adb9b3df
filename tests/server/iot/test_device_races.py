"""Device races: one device per DevEUI, and a queued command sent once however many deliveries run."""

from __future__ import annotations

import asyncio

from server.iot import registry
from server.keys import DEVICE_LINKS, DEVICES
from tests.support.iot import mac, people, provision


async def test_two_devices_cannot_share_a_dev_eui(api, app, monkeypatch):
    p = await people(api)
    # both provisioning requests are checked together, then race to store themselves
    barrier, check = asyncio.Barrier(2), registry.Devices._check_patient

    async def together(self, patient_id):
        await check(self, patient_id)
        await barrier.wait()
    monkeypatch.setattr(registry.Devices, "_check_patient", together)
    body = {"name": "lora", "type": "multi_sensor", "patient_id": p["patient"]["id"], "dev_eui": "70B3D57ED0051234"}
    answers = await asyncio.gather(*(api.call("POST", "/api/iot/devices", p["admin"], json={**body, "mac": mac()})
                                     for _ in range(2)))
    assert sorted(s for s, _ in answers) == [201, 409], answers
    (conflict,) = [b for s, b in answers if s == 409]
    assert conflict["error"]["code"] == "dev_eui_taken"
    monkeypatch.undo()
    # changing another device to a DevEUI in use is refused the same way; devices without one are many
    other = await provision(api, p["admin"], p["patient"]["id"])
    await provision(api, p["admin"], p["patient"]["id"])
    status, err = await api.call("PATCH", f"/api/iot/devices/{other['id']}", p["admin"],
                                 json={"dev_eui": "70:b3:d5:7e:d0:05:12:34"})
    assert status == 409 and err["error"]["code"] == "dev_eui_taken", err
    _, devices = await api.call("GET", "/api/iot/devices", p["admin"])
    assert [d["dev_eui"] for d in devices].count("70B3D57ED0051234") == 1


async def test_concurrent_deliveries_send_a_queued_reboot_once(api, app):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    status, cmd = await api.call("POST", f"/api/iot/devices/{dev['id']}/commands", p["admin"],
                                 json={"command": "reboot"})
    assert status == 201 and cmd["status"] == "queued", cmd
    sent: list[dict] = []

    async def send(message: dict) -> None:
        await asyncio.sleep(0.01)  # a write to the network takes a while
        sent.append(message)
    links = app[DEVICE_LINKS]
    device = await app[DEVICES].get(dev["id"])
    # two links come up at once (say a reconnect racing the old socket): each delivers the queue
    await asyncio.gather(links.connected(device, "websocket", "k1", "127.0.0.1", send),
                         links.connected(device, "websocket", "k2", "127.0.0.1", send),
                         links.deliver(dev["id"]))
    assert [m["command"] for m in sent] == ["reboot"]
    _, cmds = await api.call("GET", f"/api/iot/devices/{dev['id']}/commands", p["admin"])
    assert [(c["command"], c["status"], c["via"]) for c in cmds] == [("reboot", "sent", "websocket")]
