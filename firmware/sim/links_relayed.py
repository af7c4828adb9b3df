"""Links through a relay: an MQTT broker (the server's bridge subscribes) and a LoRaWAN network
server (its webhook posts to the server). The device hears nothing from the server itself: a
reading is settled by the relay (the broker's PUBACK; the webhook's answer stands for the network
server's), and the server's (device, seq) key makes a republished reading a duplicate."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

import aiohttp

from firmware.sim import frames, lorawan
from firmware.sim.frames import Reading
from firmware.sim.links import Link, LinkDown, _status

log = logging.getLogger(__name__)


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
