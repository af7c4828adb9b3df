"""A lean Socket.IO v5 / Engine.IO v4 client over one aiohttp WebSocket, for load generation.

python-socketio's AsyncClient costs several times more CPU per event than the servers we
measure; this speaks the wire protocol directly (WebSocket transport only, text packets):
  open `0{...}` · ping `2` → pong `3` · connect `40[/ns,]{auth}` → `40[/ns,]{"sid"}` or `44…`
  event `42[/ns,][id]["name",data]` · ack `43[/ns,]id[data]`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

log = logging.getLogger(__name__)

EventCallback = Callable[[str, Any, float], None]


class ConnectRefused(RuntimeError):
    """The server answered the namespace connect with an error packet (44)."""


class SioClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, *, namespace: str = "/",
                 auth: dict | None = None, on_event: EventCallback | None = None) -> None:
        self.session = session
        self.url = base_url.replace("http://", "ws://").rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        self.namespace = namespace
        self.prefix = "" if namespace == "/" else namespace + ","
        self.auth = auth or {}
        self.on_event = on_event
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.sid: str | None = None
        self._acks: dict[int, asyncio.Future] = {}
        self._next_id = 0
        self._connected: asyncio.Future | None = None
        self._reader: asyncio.Task | None = None
        self.closed = asyncio.Event()

    async def connect(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (per-step timeouts)
        self.ws = await self.session.ws_connect(self.url, compress=0, autoping=True, timeout=timeout,
                                                max_msg_size=0)
        opening = await asyncio.wait_for(self.ws.receive(), timeout)
        if opening.type != aiohttp.WSMsgType.TEXT or not opening.data.startswith("0"):
            raise ConnectionError(f"unexpected engine.io opening: {opening.data!r}")
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        await self.ws.send_str("40" + self.prefix + orjson.dumps(self.auth).decode())
        await asyncio.wait_for(self._connected, timeout)

    async def _read(self) -> None:
        ws = self.ws
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                data: str = msg.data
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith("4"):
                    self._packet(data)
        except Exception:  # the load run decides what a lost socket means
            log.debug("reader stopped", exc_info=True)
        finally:
            self.closed.set()
            for fut in self._acks.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("socket closed"))
            if self._connected and not self._connected.done():
                self._connected.set_exception(ConnectionError("socket closed before connect"))

    def _packet(self, data: str) -> None:
        kind = data[1]
        rest = data[2:]
        if rest.startswith("/"):
            comma = rest.find(",")
            rest = rest[comma + 1:] if comma >= 0 else ""
        if kind == "2":  # event
            i = 0
            while i < len(rest) and rest[i].isdigit():
                i += 1
            args = orjson.loads(rest[i:])
            if self.on_event:
                self.on_event(args[0], args[1] if len(args) > 1 else None, time.perf_counter())
        elif kind == "3":  # ack
            i = 0
            while rest[i].isdigit():
                i += 1
            fut = self._acks.pop(int(rest[:i]), None)
            if fut is not None and not fut.done():
                args = orjson.loads(rest[i:])
                fut.set_result(args[0] if args else None)
        elif kind == "0":
            body = orjson.loads(rest) if rest else {}
            self.sid = body.get("sid")
            if not self._connected.done():
                self._connected.set_result(None)
        elif kind == "4":
            body = orjson.loads(rest) if rest else {}
            if not self._connected.done():
                self._connected.set_exception(ConnectRefused(body.get("message", "refused")))
        elif kind == "1":
            self.closed.set()

    async def emit_ack(self, event: str, data: Any) -> asyncio.Future:
        """Send an event that asks for an acknowledgement; the future gets the ack's first value."""
        self._next_id += 1
        ack_id = self._next_id
        fut = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = fut
        payload = orjson.dumps([event, data]).decode()
        await self.ws.send_str(f"42{self.prefix}{ack_id}{payload}")
        return fut

    async def emit(self, event: str, data: Any) -> None:
        await self.ws.send_str(f"42{self.prefix}" + orjson.dumps([event, data]).decode())

    async def call(self, event: str, data: Any, timeout: float = 10.0) -> Any:  # noqa: ASYNC109
        return await asyncio.wait_for(await self.emit_ack(event, data), timeout)

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str("41" + self.prefix)
            except Exception:
                pass
            await self.ws.close()
        if self._reader:
            self._reader.cancel()


def connector(limit: int = 0) -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(limit=limit, force_close=False, enable_cleanup_closed=True)
