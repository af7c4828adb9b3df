"""The transports a virtual device can use, one class each with the same small interface:
`open()`, `close()`, `send(readings) -> outcomes` (one of accepted/duplicate/rejected/retry per
reading, in order), `heartbeat(fields)`, `ack(command)`, and `on_command` called for each command.
A link that fails raises `LinkDown`; the device then buffers and reconnects with backoff."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import socketio

from firmware.sim import frames, lorawan
from firmware.sim.frames import Reading

log = logging.getLogger(__name__)
CommandHandler = Callable[[frames.Command], Awaitable[None]]
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


class MqttLink(Link):
    """Publishes QoS 1 to `fadjma/devices/<id>/…` (the broker's PUBACK settles a reading: the
    bridge stores what the broker holds, and keys it by seq), subscribes to `…/commands`."""

    name = "mqtt"

    def __init__(self, base_url: str, device_id: str, token: str, broker: str = "127.0.0.1:1883") -> None:
        super().__init__(base_url, device_id, token)
        host, _, port = broker.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port or 1883)

    async def open(self) -> None:
        import aiomqtt
        self.client = aiomqtt.Client(self.host, self.port, username=self.device_id, password=self.token,
                                     identifier=f"{self.device_id}-sim")
        try:
            await self.client.__aenter__()
            await self.client.subscribe(frames.mqtt_topic(self.device_id, "commands"), qos=1)
        except aiomqtt.MqttError as exc:
            raise LinkDown(str(exc)) from None
        self.reader = asyncio.create_task(self._read())
        self.up = True

    async def _read(self) -> None:
        import aiomqtt
        try:
            async for message in self.client.messages:
                await self._command(json.loads(message.payload))
        except aiomqtt.MqttError:
            self.up = False

    async def close(self) -> None:
        self.up = False
        if getattr(self, "client", None) is not None:
            self.reader.cancel()
            try:
                await self.client.__aexit__(None, None, None)
            except Exception:  # already gone
                log.debug("mqtt close", exc_info=True)

    async def _publish(self, kind: str, body: str) -> None:
        import aiomqtt
        try:
            await self.client.publish(frames.mqtt_topic(self.device_id, kind), body.encode(), qos=1, timeout=20)
        except (aiomqtt.MqttError, TimeoutError) as exc:
            raise LinkDown(repr(exc)) from None

    async def send(self, readings: list[Reading]) -> list[str]:
        await asyncio.gather(*(self._publish("vitals", frames.vitals_json(r)) for r in readings))
        return ["accepted"] * len(readings)

    async def heartbeat(self, fields: dict) -> None:
        await self._publish("heartbeat", frames.heartbeat_json(**fields))

    async def ack(self, cmd: frames.Command) -> None:
        await self._publish("ack", frames.command_ack_json(cmd))


class LoraLink(Link):
    """Each reading is one uplink (payload v2) posted as the network server would, TTS or ChirpStack."""

    batch, commands = True, False

    def __init__(self, base_url: str, device_id: str, token: str, dev_eui: str, secret: str,
                 form: str = "tts") -> None:
        super().__init__(base_url, device_id, token)
        self.dev_eui, self.secret, self.form, self.name = dev_eui, secret, form, f"lorawan-{form}"
        self.f_cnt, self.battery, self.uptime_s = 0, None, 0

    async def open(self) -> None:
        self.session = aiohttp.ClientSession(headers={"X-Webhook-Secret": self.secret},
                                             timeout=aiohttp.ClientTimeout(total=30))
        self.up = True

    async def close(self) -> None:
        self.up = False
        if getattr(self, "session", None) is not None:
            await self.session.close()

    async def send(self, readings: list[Reading]) -> list[str]:
        out = []
        for r in readings:
            self.f_cnt += 1
            payload = lorawan.encode_v2(r, self.battery, self.uptime_s)
            body = (lorawan.tts_body if self.form == "tts" else lorawan.chirpstack_body)(
                self.device_id, self.dev_eui, payload, self.f_cnt, datetime.now(UTC))
            path = "/api/iot/lorawan/tts" if self.form == "tts" else "/api/iot/lorawan/chirpstack?event=up"
            try:
                async with self.session.post(self.base_url + path, json=body) as resp:
                    answer = await resp.json(content_type=None)
                    out.append(_status(answer) if resp.status == 200 else "retry")
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise LinkDown(repr(exc)) from None
        return out

    async def heartbeat(self, fields: dict) -> None:
        self.battery, self.uptime_s = fields.get("battery"), fields.get("uptime_s", 0)  # sent in the next uplink
