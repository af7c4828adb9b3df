"""Helpers for the simulator tests: provision a virtual device through the admin API (as the
simulator does), drive it sample by sample, and count what the server stored."""

from __future__ import annotations

import asyncio

from firmware.sim.device import VirtualDevice
from firmware.sim.fleet import Admin, Spec, dev_eui_of, make_device
from tests.firmware.server_api import DB, stored_readings


async def sim_device(api, transport: str, *, fallback: bool = False, name: str = "sim-replay",
                     secret: str = "", broker: str = "127.0.0.1:1883", on_token=None) -> VirtualDevice:
    _, admin_token = await api.user(f"{name}-admin", "admin")
    patient, _ = await api.user(f"{name}-patient", "patient")
    admin = Admin(api.base_url)
    admin.token = admin_token
    try:
        token = await admin.device(name, patient["id"], 1, dev_eui_of(name))
    finally:
        await admin.close()
    if on_token is not None:
        await on_token(name, token)
    spec = Spec(name, patient["id"], transport, "normal", 0.05, fallback, seed=7)
    device = make_device(spec, api.base_url, token, mqtt_broker=broker, lorawan_secret=secret)
    device.patient.probe_off_p = device.patient.motion_p = 0.0  # every sample is a storable reading
    return device


async def take(device: VirtualDevice, n: int, flush: bool = True) -> None:
    for _ in range(n):
        assert device.sample(device.stats.sampled * device.interval_s) is not None
        if flush:
            await device.flush()


async def drain(device: VirtualDevice, within: float = 30.0) -> None:
    """Flush until the buffer is empty (reconnection waits for its backoff)."""
    async with asyncio.timeout(within):
        while len(device.outbox):
            device._retry_at = 0.0  # do not wait for the jittered backoff in a test
            await device.flush()
            if len(device.outbox):
                await asyncio.sleep(0.05)


async def stored_seqs(api, device_id: str) -> list[int]:
    docs = await stored_readings(api.client.app[DB], device_id=device_id)
    return sorted(d["seq"] for d in docs)


async def settled_seqs(api, device_id: str, expected: int, within: float = 30.0) -> list[int]:
    """Wait until `expected` readings are stored (MQTT has no answer to the device), then a
    moment more so that a duplicate would show, and return them."""
    for _ in range(int(within / 0.05)):
        if len(await stored_seqs(api, device_id)) >= expected:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    return await stored_seqs(api, device_id)
