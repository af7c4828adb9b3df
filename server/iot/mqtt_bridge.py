"""The MQTT bridge (enabled by MQTT_URL): devices publish to a Mosquitto broker, we subscribe.

Topics, `<id>` being the device id, which is also the device's MQTT username:
- in:  `fadjma/devices/<id>/vitals` (reading set, current or earlier body shape), `…/heartbeat`,
  `…/alert`, `…/ack` (command acknowledgement);
- out: `fadjma/devices/<id>/commands` `{id, command, params}`.

The broker authenticates each device (password file) and its `%u` ACL lets a device write only
under its own `<id>`, so the topic's id *is* the authenticated one (mqtt/ has the config and the
script adding a device's credentials). The bridge still refuses ids that are unknown or revoked
and payload `device_id`s naming another device. Messages are handled concurrently (bounded) so
that they share ingest's group commits. The bridge reconnects with back-off if the broker goes.

A device's messages count against RATE_LIMIT_DEVICE_DATA like on every transport; beyond it they are
acknowledged and dropped (one log line a minute per device). While the database is away a message
is kept, unacknowledged, and stored once it is back (the
broker redelivers only on a new session). A reading is acknowledged to the broker (QoS 1 PUBACK,
paho's manual ack) only once it is stored, and the bridge keeps a persistent session under a
stable client id (MQTT_CLIENT_ID, else `fadjma-<host>-<port>`): what devices publish while the
server restarts, or what it had received but not stored when it died, is delivered again by the broker, and the group
commit's (device, seq) key makes the second delivery a duplicate. The broker's
`max_inflight_messages` bounds how many unacknowledged readings the bridge holds, so a
backlog waits in the broker, not in our memory. (Measured before this: the bench's MQTT row
had 21,000 PUBACKed readings queued in the server's memory, 42 s of backlog.) With several
processes, MQTT_SHARED_GROUP makes the subscriptions shared (`$share/<group>/…`): the broker
gives each message to one of them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, urlsplit

import aiomqtt
import orjson

from models.common import new_id, parse
from models.devices import CommandAckIn, DeviceAlertIn, HeartbeatIn
from models.errors import DomainError, RateLimited
from models.vitals import Rejected
from server.iot.frames import battery_of, check_identity, submit_frame
from server.iot.ingest import Ingest
from server.iot.links import DeviceLinks
from server.iot.registry import Devices
from server.settings import Settings
from server.storage.outage import Outage

log = logging.getLogger(__name__)
PREFIX = "fadjma/devices"
IN_TOPICS = ("vitals", "heartbeat", "alert", "ack")
LIMITED_LOG_S = 60.0
# device id -> raises RateLimited over RATE_LIMIT_DEVICE_DATA (server/ops/throttle.py, wired in server/app.py)
DeviceLimit = Callable[[str], Awaitable[None]]
PRIORITY = {"low": "info", "info": "info", "medium": "warning", "warning": "warning", "high": "critical",
            "critical": "critical", "emergency": "emergency"}


class MqttBridge:
    def __init__(self, settings: Settings, devices: Devices, links: DeviceLinks, ingest: Ingest,
                 max_in_flight: int = 1000, outage: Outage | None = None,
                 limit: DeviceLimit | None = None) -> None:
        self.devices, self.links, self.ingest, self.outage = devices, links, ingest, outage
        self.limit = limit  # RATE_LIMIT_DEVICE_DATA per device, as on every transport
        self._limited: dict[str, list] = {}  # device -> [last logged at, dropped since]
        self.dropped = 0  # messages dropped over their device's rate limit (for /metrics, and tests)
        url = urlsplit(settings.mqtt_url)
        self.tls = url.scheme == "mqtts"
        self.host, self.port = url.hostname, url.port or (8883 if self.tls else 1883)
        self.username = unquote(url.username) if url.username else None
        self.password = unquote(url.password) if url.password else None
        self.connected = asyncio.Event()
        self._client: aiomqtt.Client | None = None
        self._task: asyncio.Task | None = None
        self._slots = asyncio.Semaphore(max_in_flight)
        # A persistent session needs an id that is the same after a restart; with PORT=0 (tests,
        # benchmarks) there is none to derive, so the session is a clean one under a random id.
        self.persistent = bool(settings.mqtt_client_id or settings.port)
        self.identifier = settings.mqtt_client_id or (f"fadjma-{socket.gethostname()}-{settings.port}"
                                                      if settings.port else f"fadjma-server-{new_id()[:8]}")
        self._handlers: set[asyncio.Task] = set()
        # Several processes on one broker: a shared subscription gives each message to one of them.
        self.share = f"$share/{settings.mqtt_shared_group}/" if settings.mqtt_shared_group else ""

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mqtt-bridge")

    async def stop(self) -> None:
        # Cancelled until it ends: on Python 3.11 asyncio.wait_for (which aiomqtt awaits for SUBACKs
        # and PUBACKs) drops a cancellation that arrives as its future completes, and a single
        # cancel() then left stop() waiting for ever (seen: 4 test runs in 8 hung here).
        while self._task and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=0.5)
        for task in list(self._handlers):  # unacknowledged: the broker delivers them again next session
            task.cancel()
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=2.0)
        if self._task and not self._task.cancelled() and self._task.exception() is not None:
            log.error("the MQTT bridge task failed", exc_info=self._task.exception())

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            try:
                client = aiomqtt.Client(self.host, self.port, username=self.username, password=self.password,
                                        identifier=self.identifier, clean_session=not self.persistent,
                                        tls_context=ssl.create_default_context() if self.tls else None)
                # aiomqtt has no manual-ack option of its own: paho's, on the client it wraps.
                client._client.manual_ack_set(True)
                async with client:
                    for topic in IN_TOPICS:
                        await client.subscribe(f"{self.share}{PREFIX}/+/{topic}", qos=1)
                    self._client, backoff = client, 1.0
                    self.connected.set()
                    log.info("MQTT bridge connected to %s:%s", self.host, self.port)
                    async for message in client.messages:
                        await self._slots.acquire()
                        task = asyncio.create_task(self._handle(client, message))
                        self._handlers.add(task)
                        task.add_done_callback(self._handlers.discard)
            except aiomqtt.MqttError as exc:
                self._client = None
                self.connected.clear()
                log.warning("MQTT bridge disconnected (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def publish_command(self, device_id: str, command: dict) -> None:
        if self._client is None:
            raise ConnectionError("the MQTT bridge is not connected")
        await self._client.publish(f"{PREFIX}/{device_id}/commands", orjson.dumps(command), qos=1)

    async def _handle(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        topic, payload, failed = message.topic.value, message.payload, False
        try:
            parts = topic.split("/")
            if len(parts) != 4 or parts[3] not in IN_TOPICS:
                return
            device_id, kind = parts[2], parts[3]
            delay = 0.5
            while True:
                try:
                    device = await self.devices.current(device_id)
                    if self.limit is not None and not await self._allowed(device_id):
                        return  # acknowledged and dropped: redelivering a flood would only prolong it
                    await self._dispatch(device, kind, payload)
                    break
                except DomainError:
                    log.warning("MQTT message from unknown or revoked device %s dropped", device_id)
                    return
                except Exception as exc:
                    # The database is away: keep the message (unacknowledged, holding one in-flight slot,
                    # so the broker holds the rest) and store it once the database is back. The broker
                    # only redelivers on a new session, so giving up here would strand it until then.
                    if self.outage is None or self.outage.translate(exc, "an MQTT message") is None:
                        raise
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
        except Exception:
            # Not acknowledged (a storage failure): the broker delivers it again when the bridge reconnects.
            failed = True
            log.exception("MQTT message on %s failed; left unacknowledged", topic)
        finally:
            self._slots.release()
            if message.qos > 0 and not failed:  # stored, a duplicate, or refused for good
                client._client.ack(message.mid, message.qos)

    async def _allowed(self, device_id: str) -> bool:
        """Within the device's rate limit? A flooding device costs one log line a minute, not one a message."""
        try:
            await self.limit(device_id)
            return True
        except RateLimited as exc:
            self.dropped += 1
            now = asyncio.get_running_loop().time()
            seen = self._limited.setdefault(device_id, [-LIMITED_LOG_S, 0])
            seen[1] += 1
            if now - seen[0] >= LIMITED_LOG_S:
                log.warning("MQTT messages from %s over its rate limit dropped (%d since the last line; retry in %d s)",
                            device_id, seen[1], exc.retry_after)
                seen[0], seen[1] = now, 0
            return False

    async def _dispatch(self, device: dict, kind: str, payload) -> None:
        links = self.links
        try:
            body = orjson.loads(payload)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            await self.ingest.record_rejection(device, str(payload)[:500],
                                               Rejected("MQTT payload is not a JSON object", code="invalid"), "mqtt")
            return
        await links.seen(device, "mqtt", send=functools.partial(self.publish_command, device["_id"]))
        try:
            if kind == "vitals":
                await submit_frame(self.ingest, device, body, "mqtt")
                battery = battery_of(body)
                if battery is not None:
                    await links.heartbeat(device, HeartbeatIn(battery=battery), "mqtt")
                return
            check_identity(device, body)
            if kind == "heartbeat":
                await links.heartbeat(device, parse(HeartbeatIn, body), "mqtt")
            elif kind == "alert":
                body.setdefault("code", body.get("alert_type"))
                if "severity" not in body and isinstance(body.get("priority"), str):
                    body["severity"] = PRIORITY.get(body["priority"].lower())
                await links.device_alert(device, parse(DeviceAlertIn, body))
            elif kind == "ack":
                ack = parse(CommandAckIn, body)
                await links.command_ack(device, ack.command_id, ack.ok, ack.result)
        except DomainError as exc:
            log.info("MQTT %s from %s refused: %s", kind, device["_id"], exc.message)

