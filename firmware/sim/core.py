"""The firmware core's logic, mirrored: seq reserved in blocks, a bounded buffer that drops the
oldest with a counter, in-order replay with a window of unanswered readings, backoff with jitter.
Same rules as firmware/core/src/{seq,outbox,ring_buffer,backoff}.cpp (see their comments)."""

from __future__ import annotations

import random

from firmware.sim.frames import Reading

FINAL = ("accepted", "duplicate", "rejected")


class SeqCounter:
    """`store` is a dict standing for NVS: it survives the device's simulated reboots."""

    def __init__(self, store: dict, block: int = 64) -> None:
        self.store, self.block = store, max(1, block)
        self.next = self.reserved = store.get("seq", 0)

    def take(self) -> int:
        if self.next >= self.reserved:
            self.reserved = self.next + self.block
            self.store["seq"] = self.reserved
        self.next += 1
        return self.next - 1


class Outbox:
    def __init__(self, capacity: int = 2000, window: int = 8) -> None:
        self.capacity, self.window = capacity, min(window, 32)
        self.items: list[Reading] = []
        self.done: set[int] = set()  # seqs with a final answer, still behind an unanswered older one
        self.in_flight = 0
        self.dropped = self.rejected = 0

    def add(self, r: Reading) -> None:
        if len(self.items) >= self.capacity:
            old = self.items.pop(0)
            self.done.discard(old.seq)
            self.dropped += 1
            self.in_flight = max(0, self.in_flight - 1)
        self.items.append(r)

    def next(self) -> Reading | None:
        if self.in_flight >= self.window or self.in_flight >= len(self.items):
            return None
        self.in_flight += 1
        return self.items[self.in_flight - 1]

    def next_batch(self, limit: int) -> list[Reading]:
        self.reset()
        batch = self.items[:limit]
        self.in_flight = len(batch)
        return batch

    def settle(self, seq: int, outcome: str) -> None:
        if outcome not in FINAL:
            self.reset()
            return
        if seq not in {r.seq for r in self.items[:max(self.in_flight, 1)]} or seq in self.done:
            return
        self.done.add(seq)
        if outcome == "rejected":
            self.rejected += 1
        while self.items and self.items[0].seq in self.done and self.in_flight > 0:
            self.done.discard(self.items.pop(0).seq)
            self.in_flight -= 1

    def reset(self) -> None:
        self.in_flight = 0
        self.done.clear()

    def __len__(self) -> int:
        return len(self.items)


class Backoff:
    def __init__(self, base_s: float = 1.0, max_s: float = 30.0, rng: random.Random | None = None) -> None:
        self.base, self.max, self.rng, self.attempt = base_s, max_s, rng or random.Random(), 0

    def next_delay(self) -> float:
        ceiling = min(self.max, self.base * 2 ** min(self.attempt, 30))
        self.attempt += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0
