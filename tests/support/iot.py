"""Helpers shared by the IoT tests: provision devices, grant access, connect as a device."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import socketio

from models.common import new_id
from models.documents import GRANTS
from server.keys import CLOCK, DB

_macs = itertools.count(1)


def mac() -> str:
    n = next(_macs)
    return f"AA:BB:CC:00:{n // 256:02X}:{n % 256:02X}"


async def provision(api, admin_token: str, patient_id: str | None, **extra) -> dict:
    body = {"name": "ESP32 bedside", "type": "multi_sensor", "mac": mac(), "patient_id": patient_id, **extra}
    status, doc = await api.call("POST", "/api/iot/devices", admin_token, json=body)
    assert status == 201, doc
    return doc


async def grant(app, doctor_id: str, patient_id: str, scopes=("vitals",)) -> None:
    clock = app[CLOCK]
    await app[DB][GRANTS].insert_one({"_id": new_id(), "doctor_id": doctor_id, "patient_id": patient_id,
                                      "scopes": list(scopes), "expires_at": clock.now() + timedelta(days=1),
                                      "revoked_at": None})


async def device_sio(api, device_id: str, token: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(api.base_url, auth={"device_id": device_id, "token": token}, transports=["websocket"],
                      namespaces=["/devices"], wait_timeout=5)
    return sio


class Inbox:
    """Collects the events of some names on a socket.io client, in arrival order."""

    def __init__(self, sio: socketio.AsyncClient, *names: str, namespace: str = "/") -> None:
        self.items: list[tuple[str, dict]] = []
        self._changed = asyncio.Event()
        for name in names:
            sio.on(name, self._handler(name), namespace=namespace)

    def _handler(self, name):
        async def handle(data):
            self.items.append((name, data))
            self._changed.set()
        return handle

    def of(self, name: str) -> list[dict]:
        return [d for n, d in self.items if n == name]

    async def wait(self, predicate, within: float = 5.0):
        async with asyncio.timeout(within):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()


async def watching_doctor(api, p: dict) -> tuple[socketio.AsyncClient, Inbox]:
    """`people`'s granted doctor, connected and watching the patient's vitals: (socket, vitals:new inbox)."""
    doctor = await api.sio(p["doctor_token"])
    inbox = Inbox(doctor, "vitals:new")
    await doctor.call("vitals:watch", {"patient_id": p["patient"]["id"]})
    return doctor, inbox


async def people(api):
    """An admin, a patient, a doctor with a vitals grant and one without; returns tokens and ids."""
    _, admin = await api.user("admin1", "admin")
    patient, patient_token = await api.user("pat1", "patient")
    doctor, doctor_token = await api.user("doc1", "doctor")
    _, stranger_token = await api.user("doc2", "doctor")
    await grant(api.client.app, doctor["id"], patient["id"])
    return {"admin": admin, "patient": patient, "patient_token": patient_token, "doctor": doctor,
            "doctor_token": doctor_token, "stranger_token": stranger_token}


async def stored(db, **match) -> list[dict]:
    """The stored readings, rows and packed ones alike (server.iot.vitals_store), each identity
    once, matching `match` on their own fields, e.g. stored(db, device_id=...), in (ts, _id) order."""
    from server.iot.packs import merged
    rows = await db["vitals"].find(match).to_list(None)
    packed = await db["vitals_packs"].find({}).to_list(None)
    return [d for d in merged(rows, packed, {}) if all(d.get(k) == v for k, v in match.items())]


async def stored_count(db, **match) -> int:
    return len(await stored(db, **match))
