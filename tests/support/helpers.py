"""Test helpers: a real socket.io client that records every event it receives, and polling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import socketio


async def until(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until `predicate()` holds (events travel over a real socket), or fail."""
    for _ in range(int(within / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    assert predicate(), "condition not met in time"


class Recorder:
    """A user's device: connects with `auth: {token, last_seq?}` and records every event."""

    def __init__(self, api, token: str) -> None:
        self.api, self.token = api, token
        self.events: list[tuple[str, dict]] = []
        self.synced = asyncio.Event()
        self.client: socketio.AsyncClient | None = None

    def of(self, name: str) -> list[dict]:
        return [data for event, data in self.events if event == name]

    def names(self) -> list[str]:
        return [event for event, _ in self.events]

    @property
    def new(self) -> list[dict]:
        return self.of("notification:new")

    @property
    def seqs(self) -> list[int]:
        return [n["seq"] for n in self.new]

    @property
    def counts(self) -> list[int]:
        return [d["unread"] for d in self.of("notification:unread_count")]

    @property
    def reads(self) -> list[dict]:
        return self.of("notification:read")

    def inbox_types(self) -> list[str]:
        return [n["type"] for n in self.new]

    async def connect(self, **auth) -> Recorder:
        self.synced = asyncio.Event()
        client = socketio.AsyncClient(reconnection=False)

        @client.on("*")
        def _any(event, data=None):
            self.events.append((event, data))
            if event == "notification:synced":
                self.synced.set()

        await client.connect(self.api.base_url, auth={"token": self.token, **auth},
                             transports=["websocket"], wait_timeout=5)
        await asyncio.wait_for(self.synced.wait(), 5)
        self.client = client
        return self

    async def call(self, event: str, data=None) -> dict:
        return await self.client.call(event, data, timeout=5)

    async def disconnect(self) -> None:
        await self.client.disconnect()


class World:
    """The cast of the care scenarios: tokens and ids by role name."""

    def __init__(self, api) -> None:
        self.api = api
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self.devices: list[Recorder] = []

    async def close(self) -> None:
        for device in self.devices:
            if device.client and device.client.connected:
                await device.client.disconnect()

    async def add(self, name: str, role: str) -> None:
        user, token = await self.api.user(name, role)
        self.ids[name], self.tokens[name] = user["id"], token

    async def call(self, who: str | None, method: str, path: str, json=None):
        return await self.api.call(method, path, self.tokens.get(who) if who else None, json=json)

    async def device(self, who: str, **auth) -> Recorder:
        """A connected device; without `last_seq` it only gets what happens from now on."""
        device = await Recorder(self.api, self.tokens[who]).connect(**auth)
        self.devices.append(device)
        return device

    async def grant(self, doctor: str, patient: str, scopes=("records", "vitals", "prescriptions"),
                    days: int = 30) -> dict:
        status, req = await self.call(doctor, "POST", "/api/access-requests", {
            "patient_id": self.ids[patient], "reason": "follow-up", "scopes": list(scopes), "duration_days": days})
        assert status == 201, req
        status, decided = await self.call(patient, "POST", f"/api/access-requests/{req['id']}/approve")
        assert status == 200, decided
        return decided


async def world(api) -> World:
    """A patient (pat), another patient (other), a doctor who will get grants (doc), one who will
    not (stranger), two pharmacists (ph1, ph2) and an admin."""
    w = World(api)
    for name, role in (("pat", "patient"), ("other", "patient"), ("doc", "doctor"), ("stranger", "doctor"),
                       ("ph1", "pharmacist"), ("ph2", "pharmacist"), ("admin", "admin")):
        await w.add(name, role)
    return w


async def settle(sio, devices: dict[str, Recorder], ids: dict[str, str]) -> None:
    """Wait until every device has received everything emitted to it so far: a marker sent to
    each user's room after the fact arrives after all earlier events on the same socket."""
    from rooms.names import user_room
    marker = f"m{id(devices)}-{len(devices)}-{sum(len(d.events) for d in devices.values())}"
    for name in devices:
        await sio.emit("test:marker", {"m": marker}, room=user_room(ids[name]))
    for device in devices.values():
        await until(lambda d=device: any(e == "test:marker" and x["m"] == marker for e, x in d.events))


async def connect_error_of(api, auth) -> dict:
    """Connect with `auth` expecting refusal; return what the client's connect_error saw."""
    seen: asyncio.Future = asyncio.get_running_loop().create_future()
    client = socketio.AsyncClient(reconnection=False)

    @client.on("connect_error")
    async def _on_error(data):
        if not seen.done():
            seen.set_result(data)

    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(api.base_url, auth=auth, transports=["websocket"], wait_timeout=5)
    return await asyncio.wait_for(seen, 5)
