"""Plausible vitals for a virtual patient, and the scripted scenarios.

A patient has a baseline; each value wanders slowly (a mean-reverting random walk: drift without
running away), follows a day/night rhythm (heart rate, breathing and temperature lower at night),
carries sensor noise, and the optical sensor misbehaves like a real one: motion artefacts (a
spurious heart-rate jump with an SpO2 dip for a sample or two) and probe-off dropouts (no heart
rate or SpO2 for a few samples). Scenarios move the baseline over scenario time:

- `normal`: nothing else;
- `sepsis`: heart rate, breathing and temperature up, SpO2 and blood pressure down over `onset_s`;
- `hypoglycaemia`: glucose falls towards 45 mg/dL with a rising heart rate and a cooler skin;
- `offline`: normal vitals, but the device loses its link for `outage_s` (10 min) at `outage_at_s`;
- `battery`: the battery runs down from 100 % to 3 % over `drain_s`;
- `wrong_clock`: the device clock is `clock_offset_s` ahead (until a `sync_time` command fixes it).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

BASE = {"heart_rate": 74.0, "spo2": 97.5, "temperature": 36.8, "respiratory_rate": 15.0, "systolic": 122.0,
        "diastolic": 78.0, "glucose": 105.0}
NOISE = {"heart_rate": 1.8, "spo2": 0.5, "temperature": 0.05, "respiratory_rate": 0.7, "systolic": 2.5,
         "diastolic": 2.0, "glucose": 2.0}
WANDER = {"heart_rate": 3.0, "spo2": 0.6, "temperature": 0.15, "respiratory_rate": 0.7, "systolic": 4.0,
          "diastolic": 3.0, "glucose": 6.0}  # long-run spread of the slow drift
NIGHT = {"heart_rate": -7.0, "temperature": -0.3, "respiratory_rate": -1.0, "systolic": -6.0}  # at 03:00
TARGETS = {
    "sepsis": {"heart_rate": 128, "spo2": 86, "temperature": 39.3, "respiratory_rate": 27, "systolic": 92,
               "diastolic": 55},
    "hypoglycaemia": {"glucose": 45, "heart_rate": 106, "temperature": 36.3},
}
SCENARIOS = ("normal", "sepsis", "hypoglycaemia", "offline", "battery", "wrong_clock")


@dataclass
class Scenario:
    name: str = "normal"
    onset_s: float = 600.0        # sepsis / hypoglycaemia: time to reach the target
    start_s: float = 0.0          # when the deterioration begins
    outage_at_s: float = 60.0     # offline: when the link is lost
    outage_s: float = 600.0       # offline: for how long (10 minutes)
    drain_s: float = 1800.0       # battery: 100 % → 3 %
    clock_offset_s: float = 7200.0  # wrong_clock: device time ahead of true time

    def __post_init__(self) -> None:
        if self.name not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.name!r}; one of {', '.join(SCENARIOS)}")

    def severity(self, t: float) -> float:
        if self.name not in TARGETS or self.onset_s <= 0:
            return 0.0
        return min(1.0, max(0.0, (t - self.start_s) / self.onset_s))

    def offline(self, t: float) -> bool:
        return self.name == "offline" and self.outage_at_s <= t < self.outage_at_s + self.outage_s

    def battery(self, t: float) -> int:
        if self.name != "battery":
            return max(20, 96 - int(t / 3600))  # a mains-charged monitor: slowly, never low
        return max(3, round(100 - 97 * min(1.0, t / self.drain_s)))

    def clock_offset(self) -> float:
        return self.clock_offset_s if self.name == "wrong_clock" else 0.0


@dataclass
class Patient:
    """The vitals source of one virtual device."""

    scenario: Scenario = field(default_factory=Scenario)
    seed: int | None = None
    baseline: dict[str, float] = field(default_factory=lambda: dict(BASE))
    motion_p: float = 0.03      # chance per sample of a motion artefact
    probe_off_p: float = 0.01   # chance per sample that the finger probe comes off
    kinds: tuple[str, ...] = ("heart_rate", "spo2", "temperature", "respiratory_rate")

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.walk = {k: 0.0 for k in BASE}
        self.probe_off_left = 0

    def sample(self, t: float, hour_of_day: float, dt: float = 5.0) -> dict[str, float | None]:
        """Values at scenario time `t` (s); None = not measured (probe off)."""
        f = self.scenario.severity(t)
        night = (1 + math.cos((hour_of_day - 3.0) / 24 * 2 * math.pi)) / 2  # 1 at 03:00, 0 at 15:00
        out: dict[str, float | None] = {}
        for kind in self.kinds:
            base = self.baseline[kind]
            # Ornstein-Uhlenbeck step: relaxes towards 0 with a ~20 min time constant.
            theta = min(1.0, dt / 1200)
            self.walk[kind] += -theta * self.walk[kind] + WANDER[kind] * math.sqrt(2 * theta) * self.rng.gauss(0, 1)
            value = base + self.walk[kind] + NIGHT.get(kind, 0.0) * night
            target = TARGETS.get(self.scenario.name, {}).get(kind)
            if target is not None:
                value += (target - base) * f
            value += self.rng.gauss(0, NOISE[kind])
            out[kind] = value
        if "spo2" in out:
            out["spo2"] = min(100.0, out["spo2"])
        if self.probe_off_left > 0 or self.rng.random() < self.probe_off_p:
            self.probe_off_left = self.probe_off_left - 1 if self.probe_off_left > 0 else self.rng.randint(2, 5)
            for kind in ("heart_rate", "spo2"):
                if kind in out:
                    out[kind] = None
        elif self.rng.random() < self.motion_p:
            if out.get("heart_rate") is not None:
                out["heart_rate"] += self.rng.uniform(15, 35)
            if out.get("spo2") is not None:
                out["spo2"] -= self.rng.uniform(2, 6)
        return out
