"""The demo simulator: one device per patient, plausible values, a patient who deteriorates."""

from __future__ import annotations

import random

from models.vitals import normalise
from server.demo.simulator import PROFILES, Simulator
from server.keys import CLOCK, DB, DEVICE_LINKS, DEVICES, INGEST
from tests.support.iot import stored as stored_readings


def test_profiles_stay_possible_and_deterioration_is_gradual():
    rng = random.Random(1)
    for profile in PROFILES.values():
        for minute in range(0, 120, 3):
            for kind, value in profile.values(minute, rng).items():
                normalise(kind, value)  # raises if the value is impossible
    bad = PROFILES["deteriorating"]
    quiet = random.Random(2)
    start, later, end = (bad.values(m, quiet) for m in (0, 15, 90))
    assert start["heart_rate"] < later["heart_rate"] < end["heart_rate"] <= 135
    assert start["spo2"] > later["spo2"] > end["spo2"] >= 87
    assert end["temperature"] > 38.5 and end["respiratory_rate"] >= 24


async def test_simulator_sends_through_ingest(api):
    app = api.client.app
    patient, _ = await api.user("pat1", "patient")
    await api.user("pat2", "patient")
    sim = Simulator(app[DB], app[CLOCK], app[DEVICES], app[INGEST], app[DEVICE_LINKS],
                    assignments={"pat1": "deteriorating", "pat2": "stable", "nobody": "stable"}, seed=3)
    devices = await sim.provision()
    assert [d["_id"] for d, _ in devices] == ["demo-pat1", "demo-pat2"]
    assert [d["_id"] for d, _ in await sim.provision()] == ["demo-pat1", "demo-pat2"]  # idempotent
    for tick, minutes in enumerate((0, 10, 20)):
        for device, profile in devices:
            await sim._send(device, profile, 100 + tick, minutes, tick)
    await app[INGEST].settled()
    stored = await stored_readings(app[DB], patient_id=patient["id"])
    hr = [d["readings"]["heart_rate"]["value"] for d in sorted(stored, key=lambda d: d["seq"])]
    assert len(hr) == 3 and hr[0] < hr[2]
    assert {d["source"] for d in stored} == {"simulator"}
    latest = await app[INGEST].latest(patient["id"])
    assert set(latest) == {"heart_rate", "spo2", "temperature", "systolic", "diastolic", "respiratory_rate"}
