"""The transports a virtual device can use, one class each with the same small interface:
`open()`, `close()`, `send(readings) -> outcomes` (one of accepted/duplicate/rejected/retry per
reading, in order), `heartbeat(fields)`, `ack(command)`, and `on_command` called for each command.
A link that fails raises `LinkDown`; the device then buffers and reconnects with backoff."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import socketio

from firmware.sim import frames
from firmware.sim.frames import Reading

log = logging.getLogger(__name__)
CommandHandler = Callable[[frames.Command], Awaitable[None]]
# mqtt and lorawan-*: firmware/sim/links_relayed.py
TRANSPORTS = ("socketio", "websocket", "http", "mqtt", "lorawan-tts", "lorawan-chirpstack")


class LinkDown(Exception):
    pass


class Link:
    name = "?"
    batch = False  # replays with next_batch() instead of a window of single sends
    commands = True

    def __init__(self, base_url: str, device_id: str, token: str) -> None:
        self.base_url, self.device_id, self.token = base_url.rstrip("/"), device_id, token
        self.on_command: CommandHandler | None = None
        self.up = False

    async def open(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.up = False

    async def send(self, readings: list[Reading]) -> list[str]:
        raise NotImplementedError

    async def heartbeat(self, fields: dict) -> None:
        pass

    async def ack(self, cmd: frames.Command) -> None:
        pass

    async def _command(self, obj) -> None:
        cmd = frames.parse_command(obj)
        if cmd is not None and self.on_command is not None:
            await self.on_command(cmd)


def _status(answer: dict) -> str:
    return answer.get("status") if answer.get("status") in ("accepted", "duplicate", "rejected") else "retry"


class SocketIOLink(Link):
    name = "socketio"

    async def open(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)  # the fleet stops itself
        self.sio.on("device:command", self._command, namespace=frames.NAMESPACE)
        self.sio.on("disconnect", self._lost, namespace=frames.NAMESPACE)
        try:
            await self.sio.connect(self.base_url, auth={"device_id": self.device_id, "token": self.token},
                                   namespaces=[frames.NAMESPACE], transports=["websocket"], wait_timeout=10)
        except (socketio.exceptions.ConnectionError, OSError) as exc:
            raise LinkDown(str(exc)) from None
        self.up = True

    async def _lost(self, *args) -> None:
        self.up = False

    async def close(self) -> None:
        self.up = False
        if getattr(self, "sio", None) is not None and self.sio.connected:
            await self.sio.disconnect()

    async def _call(self, event: str, data_json: str) -> dict:
        try:
            return await self.sio.call(event, json.loads(data_json), namespace=frames.NAMESPACE, timeout=20)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError, OSError) as exc:
            raise LinkDown(f"{event}: {exc!r}") from None

    async def send(self, readings: list[Reading]) -> list[str]:
        answers = await asyncio.gather(*(self._call("vitals:send", frames.vitals_json(r)) for r in readings))
        out = []
        for a in answers:
            if a.get("ok"):
                out.append(_status(a.get("data") or {}))
            else:
                out.append("rejected" if (a.get("error") or {}).get("code") == "rejected" else "retry")
        return out

    async def heartbeat(self, fields: dict) -> None:
        await self._call("device:heartbeat", frames.heartbeat_json(**fields))

    async def ack(self, cmd: frames.Command) -> None:
        await self._call("command:ack", frames.command_ack_json(cmd))


class WebSocketLink(Link):
    """`/ws/iot/<id>/` with `Authorization: Bearer <token>`; the server answers frames in order."""

    name = "websocket"

    async def open(self) -> None:
        self.session = aiohttp.ClientSession()
        try:
            self.ws = await self.session.ws_connect(f"{self.base_url}/ws/iot/{self.device_id}/", heartbeat=20,
                                                    headers={"Authorization": f"Bearer {self.token}"})
        except (aiohttp.ClientError, OSError) as exc:
            await self.session.close()
            raise LinkDown(str(exc)) from None
        self.replies: asyncio.Queue[dict] = asyncio.Queue()
        self.tasks: set[asyncio.Task] = set()
        self.reader = asyncio.create_task(self._read())
        self.lock = asyncio.Lock()
        self.up = True

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame.get("type") == "command":
                task = asyncio.create_task(self._command(frame))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            else:
                await self.replies.put(frame)
        self.up = False
        await self.replies.put({"type": "closed"})

    async def _exchange(self, text: str) -> dict:
        async with self.lock:
            try:
                await self.ws.send_str(text)
                async with asyncio.timeout(20):
                    reply = await self.replies.get()
            except (TimeoutError, aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
                raise LinkDown(repr(exc)) from None
            if reply.get("type") == "closed":
                raise LinkDown("websocket closed")
            return reply

    async def close(self) -> None:
        self.up = False
        if getattr(self, "ws", None) is not None:
            await self.ws.close()
            await self.reader
            await self.session.close()

    async def send(self, readings: list[Reading]) -> list[str]:
        out = []
        for r in readings:
            reply = await self._exchange(frames.ws_vitals_json(r))
            out.append(_status(reply) if reply.get("type") == "ack" else
                       "rejected" if reply.get("type") == "rejected" else "retry")
        return out

    async def heartbeat(self, fields: dict) -> None:
        await self._exchange(frames.heartbeat_json(**fields, ws_type="heartbeat"))

    async def ack(self, cmd: frames.Command) -> None:
        await self._exchange(frames.command_ack_json(cmd, ws_type="command_ack"))


class HttpLink(Link):
    """POST /api/iot/batch (an offline buffer replayed in one request) and /api/iot/heartbeat.
    HTTP carries no commands: the server queues them until a live link connects."""

    name, batch, commands = "http", True, False

    async def open(self) -> None:
        self.session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}",
                                                      "Content-Type": "application/json"},
                                             timeout=aiohttp.ClientTimeout(total=30))
        self.up = True

    async def close(self) -> None:
        self.up = False
        if getattr(self, "session", None) is not None:
            await self.session.close()

    async def _post(self, path: str, body: str) -> tuple[int, dict]:
        try:
            async with self.session.post(self.base_url + path, data=body.encode()) as resp:
                return resp.status, await resp.json(content_type=None)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise LinkDown(repr(exc)) from None

    async def send(self, readings: list[Reading]) -> list[str]:
        status, body = await self._post("/api/iot/batch", frames.batch_json(readings))
        results = body.get("results") if status == 200 and isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(readings):
            return ["retry"] * len(readings)
        out = ["retry"] * len(readings)
        for item in results:
            out[item["index"]] = _status(item)
        return out

    async def heartbeat(self, fields: dict) -> None:
        await self._post("/api/iot/heartbeat", frames.heartbeat_json(**fields))
