"""Helpers for the alerting tests: people, a ward, feeding stored messages to the engine on a FakeClock."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

from models.common import new_id
from models.documents import GRANTS
from server.keys import CARE_UNITS, CLOCK, DB, INGEST

_seq = itertools.count(1)
# The ward's FakeClock starts here; tests move it forward by hand.
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def alerting_settings(settings, **extra):
    """Long-lived tokens (the FakeClock jumps minutes ahead) and no background tick: tests drive passes."""
    return dataclasses.replace(settings, access_token_ttl=7 * 86400, refresh_token_ttl=30 * 86400,
                               alert_tick_s=3600.0, **extra)
NORMAL = {"heart_rate": 72, "spo2": 97, "temperature": 36.8, "respiratory_rate": 16, "systolic": 122}


async def grant(app, doctor_id: str, patient_id: str, scopes=("vitals",)) -> None:
    await app[DB][GRANTS].insert_one({"_id": new_id(), "doctor_id": doctor_id, "patient_id": patient_id,
                                      "scopes": list(scopes), "expires_at": app[CLOCK].now() + timedelta(days=30),
                                      "revoked_at": None})


async def cast(api) -> dict:
    """A patient, a granted doctor, a ward nurse-doctor (unit staff), a stranger doctor, another
    patient, a pharmacist, an admin. Returns {name: (user, token)} plus the device and unit."""
    app = api.client.app
    out = {}
    for name, role in (("patient", "patient"), ("doctor", "doctor"), ("ward", "doctor"), ("stranger", "doctor"),
                       ("other", "patient"), ("pharma", "pharmacist"), ("admin", "admin")):
        out[name] = await api.user(f"{name}_{new_id()[:6]}", role)
    pid = out["patient"][0]["id"]
    await grant(app, out["doctor"][0]["id"], pid)
    unit = await app[CARE_UNITS].create(f"Ward {new_id()[:6]}", "ward", out["admin"][0]["id"])
    await app[CARE_UNITS].add_staff(unit["_id"], out["ward"][0]["id"])
    await app[CARE_UNITS].add_patient(unit["_id"], pid)
    device = await add_device(app, pid)
    out["unit"], out["device"], out["pid"] = unit, device, pid
    return out


async def add_device(app, patient_id: str, interval_s: int = 5, device_id: str | None = None) -> dict:
    """A device record as the iot registry keeps it (unique mac and secret hash)."""
    device = {"_id": device_id or f"dev-{new_id()[:8]}", "patient_id": patient_id, "interval_s": interval_s,
              "last_seen": app[CLOCK].now(), "revoked_at": None, "mac": new_id(), "secret_hash": new_id()}
    await app[DB]["devices"].insert_one(device)
    return device


async def feed(app, device: dict, readings: dict, times: int = 1, every: float = 5.0) -> None:
    """`times` reading sets, one every `every` seconds of the FakeClock, through the real Ingest
    pipeline (group commit, vitals_latest, last_seen) and the engine subscribed to it."""
    clock = app[CLOCK]
    for _ in range(times):
        clock.advance(every)
        ack = await app[INGEST].submit(device, {"seq": next(_seq), "ts": clock.now().timestamp(),
                                                "readings": readings}, "test")
        assert ack["status"] == "accepted", ack
        await app[INGEST].settled()


async def alerts_of(app, patient_id: str, **match) -> list[dict]:
    return await app[DB]["alerts"].find({"patient_id": patient_id, **match}).to_list(None)
