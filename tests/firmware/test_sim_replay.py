"""A virtual device loses its link, keeps measuring into its buffer, comes back and replays it in
order: over every transport, every reading is stored exactly once — including readings whose
answer was lost in transit (sent again, answered `duplicate`)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.firmware.sim_support import drain, settled_seqs, sim_device, take

SECRET = "sim-webhook-secret-0123456789"
ONLINE, LOST, OUTAGE, AFTER = 5, 3, 12, 4


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, lorawan_webhook_secret=SECRET)


@pytest.mark.parametrize("transport", ["socketio", "websocket", "http", "lorawan-tts", "lorawan-chirpstack"])
async def test_outage_then_replay_stores_every_reading_once(api, transport):
    device = await sim_device(api, transport, secret=SECRET)
    lora = transport.startswith("lorawan")
    try:
        await take(device, ONLINE)
        assert len(device.outbox) == 0
        if not lora:  # LoRaWAN uplinks are not answered to the device: nothing to lose
            await take(device, LOST, flush=False)
            device.lose_answers = LOST
            await device.flush()  # stored by the server, but the answers are lost: the link drops
            assert len(device.outbox) == LOST
        device.cut = True
        await take(device, OUTAGE)
        assert len(device.outbox) == OUTAGE + (0 if lora else LOST)
        device.cut = False
        await drain(device)
        await take(device, AFTER)
        total = ONLINE + OUTAGE + AFTER + (0 if lora else LOST)
        assert device.stats.sampled == total
        if lora:
            assert len(await settled_seqs(api, device.device_id, total)) == total  # LoRa seqs are the server's
        else:
            assert await settled_seqs(api, device.device_id, total) == list(range(total))
            assert device.stats.settled["duplicate"] == LOST
            assert device.stats.settled["accepted"] == total - LOST
        assert device.outbox.dropped == 0 and len(device.outbox) == 0
    finally:
        device.cut = True
        await device.link.close()


@pytest.mark.parametrize("transport", ["socketio", "websocket"])
async def test_socket_down_replays_over_http_batch(api, transport):
    device = await sim_device(api, transport, fallback=True, name=f"sim-fallback-{transport}")
    try:
        await take(device, 3)
        await device.link.close()
        device._retry_at = float("inf")  # the socket stays down (server unreachable for it)
        await take(device, 6)  # each flush goes over HTTP batch meanwhile
        assert len(device.outbox) == 0
        assert await settled_seqs(api, device.device_id, 9) == list(range(9))
    finally:
        await device.link.close()
        await device.http_fallback.close()


async def test_a_full_buffer_drops_the_oldest_and_counts_them(api):
    device = await sim_device(api, "http", name="sim-overflow")
    device.outbox.capacity = 10
    device.cut = True
    await take(device, 25)
    assert device.outbox.dropped == 15
    device.cut = False
    await drain(device)
    assert await settled_seqs(api, device.device_id, 10) == list(range(15, 25))
    await device.link.close()


async def test_the_offline_scenario_loses_the_link_for_ten_minutes_and_replays(api):
    """Scenario time at 100× (10 min outage = 6 s); the loop, not the test, decides when to send."""
    from firmware.sim.vitals import Scenario
    device = await sim_device(api, "socketio", name="sim-offline")
    device.patient.scenario = Scenario("offline", outage_at_s=60, outage_s=600)
    device.speed, device.interval_s = 100.0, 0.1
    stats = await device.run(duration_s=8.5)  # 0.6 s online, 6 s offline, ~1.9 s online again
    assert stats.max_buffered >= 40  # about 60 readings taken during the outage
    assert len(device.outbox) == 0
    assert await settled_seqs(api, device.device_id, stats.sampled) == list(range(stats.sampled))
