"""Test helpers: a real socket.io client that records every event it receives, and polling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

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
