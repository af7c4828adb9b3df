"""The virtual device carries out the server's commands like the firmware: set_interval changes
its pace, sync_time corrects a wrong clock (readings stop being clock_suspect), reboot keeps the
buffer and the seq increasing; every command is acknowledged and recorded as acked."""

from __future__ import annotations

import asyncio

from firmware.sim.device import VirtualDevice
from tests.firmware.server_api import DB, stored_readings
from tests.firmware.sim_support import drain, settled_seqs, sim_device, take


async def command(api, admin_token: str, device: VirtualDevice, body: dict) -> dict:
    status, cmd = await api.call("POST", f"/api/iot/devices/{device.device_id}/commands", admin_token, json=body)
    assert status == 201, cmd
    for _ in range(400):
        status, listed = await api.call("GET", f"/api/iot/devices/{device.device_id}/commands", admin_token)
        mine = next(c for c in listed if c["id"] == cmd["id"])
        if mine["status"] == "acked":
            return mine
        await asyncio.sleep(0.05)
    raise AssertionError(f"command not acknowledged: {mine}")


async def test_commands_over_socketio(api):
    device = await sim_device(api, "socketio", name="sim-commands")
    _, admin_token = await api.user("sim-commands-admin2", "admin")
    device.clock_offset = 3 * 3600.0  # the wrong_clock scenario: 3 h ahead
    try:
        await take(device, 2)
        done = await command(api, admin_token, device, {"command": "set_interval", "params": {"interval_s": 30}})
        assert device.interval_s == 30 and done["result"] == {"interval_s": 30}
        await command(api, admin_token, device, {"command": "sync_time"})
        assert abs(device.clock_offset) < 5
        await take(device, 2)
        await command(api, admin_token, device, {"command": "reboot"})
        assert device.reboot_requested
        device.reboot_requested = False
        await device.reboot()
        assert device.boot == 1 and device.uptime_ms() < 1000
        await take(device, 2)
        await drain(device)
        seqs = await settled_seqs(api, device.device_id, 6)
        assert seqs[:4] == [0, 1, 2, 3] and seqs[4] >= 64 and seqs[5] == seqs[4] + 1  # the next reserved block
        docs = sorted(await stored_readings(api.client.app[DB], device_id=device.device_id), key=lambda d: d["seq"])
        assert [d["clock_suspect"] for d in docs] == [True, True, False, False, False, False]
        assert device.stats.commands == ["set_interval", "sync_time", "reboot"]
    finally:
        await device.link.close()
