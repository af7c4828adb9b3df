"""Test clients that put a device's exact bytes on the wire: Socket.IO over a raw Engine.IO
WebSocket (what links2004's SocketIOclient sends: "40"/"42" + the core's payload), and the
raw device WebSocket with `Authorization: Bearer <token>`."""

from __future__ import annotations

import asyncio
import json

import aiohttp


class RawSocketIO:
    """Engine.IO v4 over WebSocket, by hand: the frames the ESP32 library writes and reads."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.events: list[str] = []  # "42/devices,[...]" payloads received (commands)

    async def connect(self, connect_payload: str) -> str:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url)
        opened = await self._recv()
        assert opened.startswith("0{"), opened
        await self.ws.send_str("5")  # SocketIOclient sends the upgrade packet first (the server answers a noop)
        await self.ws.send_str("40" + connect_payload)
        return await self._recv()  # "40/devices,{sid}" or "44/devices,{message,data}"

    async def _recv(self, within: float = 10.0) -> str:
        async with asyncio.timeout(within):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"socket closed: {msg.type}")
                if msg.data == "2":  # Engine.IO ping
                    await self.ws.send_str("3")
                    continue
                if msg.data == "6":  # noop (the answer to the upgrade packet)
                    continue
                return msg.data

    async def emit(self, event_payload: str, within: float = 10.0) -> str:
        """Send "42"+payload; return the matching ack payload (after "43"); events seen meanwhile are kept."""
        await self.ws.send_str("42" + event_payload)
        ack_id = event_payload.split(",", 1)[1].split("[", 1)[0]
        while True:
            data = await self._recv(within)
            if data.startswith("43") and data[2:].split(",", 1)[1].startswith(ack_id + "["):
                return data[2:]
            if data.startswith("42"):
                self.events.append(data[2:])

    async def next_event(self, within: float = 10.0) -> str:
        if self.events:
            return self.events.pop(0)
        while True:
            data = await self._recv(within)
            if data.startswith("42"):
                return data[2:]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()


class RawDeviceWS:
    """`/ws/iot/<id>/` with the one-argument `setAuthorization("Bearer <token>")` header."""

    def __init__(self, base_url: str, path: str, authorization: str) -> None:
        self.url, self.headers = base_url.replace("http://", "ws://") + path, {"Authorization": authorization}
        self.session: aiohttp.ClientSession | None = None
        self.ws = None

    async def connect(self) -> None:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url, headers=self.headers)

    async def send(self, text: str, within: float = 10.0) -> dict:
        await self.ws.send_str(text)
        return await self.receive(within)

    async def receive(self, within: float = 10.0) -> dict:
        msg = await self.ws.receive(within)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        return json.loads(msg.data)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()


def subset(expected, actual, path="") -> list[str]:
    """Where `actual` lacks what `expected` says (dicts: keys recursively; lists: same length)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        return [e for k, v in expected.items() for e in
                (subset(v, actual[k], f"{path}.{k}") if k in actual else [f"{path}.{k}: missing in {actual!r}"])]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        return [e for i, (a, b) in enumerate(zip(expected, actual, strict=True)) for e in subset(a, b, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def sio_json(payload: str) -> tuple[int | None, object]:
    """'/devices,12[...]' -> (12, [...]); no ack id -> None."""
    ns, rest = payload.split(",", 1)
    assert ns == "/devices", payload
    digits = ""
    while rest and rest[0].isdigit():
        digits, rest = digits + rest[0], rest[1:]
    return (int(digits) if digits else None), json.loads(rest)
