"""One virtual bedside device: samples its patient at its interval, buffers every reading, sends
and replays over its link in order, reconnects with backoff and jitter, falls back to HTTP batch
while a socket link is down, sends heartbeats and carries out the server's commands."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from firmware.sim import frames
from firmware.sim.core import Backoff, Outbox, SeqCounter
from firmware.sim.links import HttpLink, Link, LinkDown
from firmware.sim.vitals import Patient

log = logging.getLogger(__name__)
FIRMWARE = "sim-1.0.0"


class RateLimit:
    """A token bucket shared by the fleet: at most `rate` messages per second overall."""

    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()

    async def take(self, n: int = 1) -> None:
        if self.rate <= 0:
            return
        while True:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= n or self.tokens >= self.rate:
                self.tokens -= n
                return
            await asyncio.sleep((n - self.tokens) / self.rate)


@dataclass
class Stats:
    sampled: int = 0
    settled: dict[str, int] = field(default_factory=lambda: {"accepted": 0, "duplicate": 0, "rejected": 0})
    reconnects: int = 0
    max_buffered: int = 0  # the deepest the buffer got (an outage shows here)
    commands: list[str] = field(default_factory=list)


class VirtualDevice:
    def __init__(self, device_id: str, link: Link, patient: Patient, *, interval_s: float = 5.0,
                 http_fallback: HttpLink | None = None, window: int = 8, capacity: int = 2000,
                 heartbeat_every: int = 6, speed: float = 1.0, rate: RateLimit | None = None,
                 seed: int | None = None) -> None:
        self.device_id, self.link, self.patient = device_id, link, patient
        self.interval_s, self.http_fallback, self.speed, self.rate = interval_s, http_fallback, speed, rate
        self.heartbeat_every = heartbeat_every
        self.nvs: dict = {}  # survives simulated reboots, like the board's NVS
        self.outbox = Outbox(capacity, window)  # stands for the flash ring buffer: survives reboots too
        self.backoff = Backoff(1.0, 30.0, random.Random(seed))
        self.stats = Stats()
        self.forced_offline = False  # no link at all now (scenario outage or `cut`)
        self.cut = False             # set by a caller to cut the device off (tests, demos)
        self.reboot_requested = False
        self.lose_answers = 0        # fault injection: answers lost in transit (the reading stays buffered)
        self.clock_offset = patient.scenario.clock_offset()
        self._boot(0)
        link.on_command = self._on_command
        self._retry_at = 0.0
        self._flush_lock = asyncio.Lock()

    def _boot(self, n: int) -> None:
        self.boot, self.boot_at = n, time.monotonic()
        self.seq = SeqCounter(self.nvs, block=64)

    # -- time -----------------------------------------------------------------------------
    def uptime_ms(self) -> int:
        return int((time.monotonic() - self.boot_at) * 1000)

    def now_ms(self) -> int:
        return int((time.time() + self.clock_offset) * 1000)

    # -- sampling -------------------------------------------------------------------------
    def sample(self, t: float) -> frames.Reading | None:
        hour = datetime.now(UTC).hour + datetime.now(UTC).minute / 60
        values = self.patient.sample(t, hour, self.interval_s * self.speed)
        r = frames.Reading(seq=self.seq.take(), ts_ms=self.now_ms(), uptime_ms=self.uptime_ms(), boot=self.boot)
        if values.get("heart_rate") is not None:
            r.heart_rate = max(1, round(values["heart_rate"]))
        if values.get("spo2") is not None:
            r.spo2 = max(0, min(100, round(values["spo2"])))
        if values.get("temperature") is not None:
            r.temperature_centi = round(values["temperature"] * 100)
        if values.get("respiratory_rate") is not None:
            r.respiratory_rate = max(1, round(values["respiratory_rate"]))
        for kind in frames.EXTRA_KINDS:
            if values.get(kind) is not None:
                r.extra[kind] = round(values[kind])
        if not r.has_values():
            return None
        self.outbox.add(r)
        self.stats.sampled += 1
        self.stats.max_buffered = max(self.stats.max_buffered, len(self.outbox))
        return r

    # -- sending --------------------------------------------------------------------------
    async def ensure_link(self) -> bool:
        if self.forced_offline or self.cut:
            if self.link.up:
                await self.link.close()
            return False
        if self.link.up:
            return True
        if time.monotonic() < self._retry_at:
            return False
        try:
            await self.link.open()
        except LinkDown as exc:
            delay = self.backoff.next_delay()
            self._retry_at = time.monotonic() + delay
            log.info("%s: %s link down (%s); retry in %.1f s", self.device_id, self.link.name, exc, delay)
            return False
        self.backoff.reset()
        self.stats.reconnects += 1
        self.outbox.reset()  # anything in flight on the old connection is sent again
        return True

    async def _send(self, link: Link, readings: list[frames.Reading]) -> None:
        if self.rate is not None:
            await self.rate.take(1 if not link.batch else max(1, len(readings) // 50))
        outcomes = await link.send(readings)
        if self.lose_answers > 0:  # the server has them; the device never hears back
            self.lose_answers = max(0, self.lose_answers - len(readings))
            self.outbox.reset()
            raise LinkDown("answers lost (fault injection)")
        for r, outcome in zip(readings, outcomes, strict=True):
            self.outbox.settle(r.seq, outcome)
            if outcome in self.stats.settled:
                self.stats.settled[outcome] += 1

    async def flush(self) -> None:
        """Send (replay) everything buffered, oldest first."""
        async with self._flush_lock:
            try:
                if await self.ensure_link():
                    await self._drain(self.link)
                elif self.http_fallback is not None and not (self.forced_offline or self.cut) and len(self.outbox):
                    if not self.http_fallback.up:
                        await self.http_fallback.open()
                    await self._drain(self.http_fallback)
            except LinkDown as exc:
                log.info("%s: link lost while sending (%s)", self.device_id, exc)
                self.outbox.reset()
                await self.link.close()
                self._retry_at = time.monotonic() + self.backoff.next_delay()

    async def _drain(self, link: Link) -> None:
        while len(self.outbox):
            if link.batch:
                batch = self.outbox.next_batch(200)
            else:
                batch = []
                while (r := self.outbox.next()) is not None:
                    batch.append(r)
            if not batch:
                return
            before = len(self.outbox)
            await self._send(link, batch)
            if len(self.outbox) >= before:  # nothing settled (retry answers): try again later
                self.outbox.reset()
                return

    async def heartbeat(self, battery: int) -> None:
        fields = {"battery": battery, "rssi": -55 - random.randint(0, 20), "uptime_s": self.uptime_ms() // 1000,
                  "free_heap": 180_000 - random.randint(0, 8000), "firmware": FIRMWARE}
        link = self.link if self.link.up else self.http_fallback if not (self.forced_offline or self.cut) else None
        if link is None:
            return
        try:
            if link is self.http_fallback and not link.up:
                await link.open()
            await link.heartbeat(fields)
        except LinkDown:
            pass

    # -- commands -------------------------------------------------------------------------
    async def _on_command(self, cmd: frames.Command) -> None:
        self.stats.commands.append(cmd.name)
        if not cmd.error:
            if cmd.name == "set_interval":
                self.interval_s = cmd.interval_s
            elif cmd.name == "sync_time" and cmd.now is not None:
                self.clock_offset = cmd.now.timestamp() - time.time()
            elif cmd.name == "identify":
                log.info("%s: blinking for %d s", self.device_id, cmd.seconds)
        try:
            await self.link.ack(cmd)
        except LinkDown:
            return  # the server resends unacknowledged commands when the device reconnects
        if cmd.name == "reboot" and not cmd.error:
            self.reboot_requested = True  # done by the loop, after the ack went out

    async def reboot(self) -> None:
        """Buffer and seq survive (flash, NVS); the connection and the clock do not."""
        await self.link.close()
        self._boot(self.boot + 1)

    # -- the loop -------------------------------------------------------------------------
    async def run(self, duration_s: float) -> Stats:
        start = next_at = time.monotonic()
        n = 0
        try:
            while (elapsed := time.monotonic() - start) < duration_s:
                t = elapsed * self.speed
                scenario = self.patient.scenario
                self.forced_offline = scenario.offline(t) or self.cut
                if self.reboot_requested:
                    self.reboot_requested = False
                    await self.reboot()
                self.sample(t)
                if n % self.heartbeat_every == 0:
                    await self.heartbeat(scenario.battery(t))
                await self.flush()
                n += 1
                next_at += self.interval_s  # a set_interval command takes effect from here
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            self.forced_offline = False
            await self.flush()  # a last chance for what is buffered
        finally:
            await self.link.close()
            if self.http_fallback is not None:
                await self.http_fallback.close()
        return self.stats
