"""Threshold rules for vital signs: the default bands, their clinical sources, per-patient overrides.

A rule watches one reading kind in one direction (`spo2_low`, `heart_rate_high`, …) and
has one band per severity. Thresholds are inclusive, like the NEWS2 chart: a `low` band is
breached when value ≤ threshold, a `high` band when value ≥ threshold. A band fires only
after its breach lasted `duration_s` AND spanned `min_readings` consecutive readings
(`server.alerting.rule_state`), so one noisy sample never raises anything, and clears only after the
value has been back beyond `threshold ± hysteresis` for `clear_after_s`.

Default bands (units as stored by Ingest: /min, %, Cel, mm[Hg], mg/dL) and why:

| rule | info | warning | critical | emergency | source |
|---|---|---|---|---|---|
| spo2_low (scale 1) | | ≤93 | ≤89 | ≤84 | NEWS2 ≤93 = 2; <90 % usual monitor alarm; <85 severe hypoxaemia (BTS 2017) |
| spo2_low (scale 2) | | ≤85 | ≤83 | ≤79 | NEWS2 scale 2 scores 84–85 as 2, ≤83 as 3 (target 88–92 %, BTS 2017) |
| heart_rate_high | | ≥111 | ≥131 | ≥150 | NEWS2 111–130 = 2, ≥131 = 3; >150/min RCUK tachycardia algorithm |
| heart_rate_low | ≤50 | | ≤40 | ≤30 | NEWS2 41–50 = 1, ≤40 = 3; <30/min peri-arrest bradycardia |
| respiratory_rate_high | | ≥21 | ≥25 | ≥35 | NEWS2 21–24 = 2, ≥25 = 3 |
| respiratory_rate_low | | ≤11 | ≤8 | ≤5 | NEWS2 9–11 = 1, ≤8 = 3 |
| temperature_high | ≥38.1 | ≥39.1 | ≥40.0 | ≥41.0 | NEWS2 38.1–39.0 = 1, ≥39.1 = 2; ≥40 °C hyperpyrexia |
| temperature_low | | ≤35.0 | ≤32.0 | ≤28.0 | NEWS2 ≤35.0 = 3; moderate <32 °C, severe <28 °C hypothermia |
| systolic_low | | ≤100 | ≤90 | ≤70 | NEWS2 91–100 = 2, ≤90 = 3 |
| systolic_high | | ≥180 | ≥220 | | ESC/ESH 2018 grade 3 hypertension ≥180; NEWS2 ≥220 = 3 |
| diastolic_high | | ≥110 | ≥120 | | ESC/ESH 2018 grade 3 ≥110; ACC/AHA 2017 hypertensive crisis >120 |
| glucose_low | | ≤69 | ≤53 | | ADA Standards of Care: level 1 hypoglycaemia <70, level 2 <54 mg/dL |
| glucose_high | | ≥250 | ≥600 | | ADA: DKA plasma glucose >250 mg/dL; HHS >600 mg/dL |
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

SEVERITIES = ("info", "warning", "critical", "emergency")
RANK = {s: i for i, s in enumerate(SEVERITIES)}


def rank(severity: str | None) -> int:
    return -1 if severity is None else RANK[severity]


@dataclass(frozen=True)
class Band:
    severity: str
    threshold: float


@dataclass(frozen=True)
class Rule:
    key: str                 # also the alert type
    kind: str                # reading kind (or "news2")
    direction: str           # "low" | "high"
    bands: tuple[Band, ...]  # ordered by rising severity
    duration_s: float = 30
    min_readings: int = 2
    clear_after_s: float = 60
    hysteresis: float = 0
    max_gap_s: float = 120   # a longer silence restarts the count: a breach must be seen, not assumed

    def breached(self, band: Band, value: float) -> bool:
        return value <= band.threshold if self.direction == "low" else value >= band.threshold

    def recovered(self, band: Band, value: float) -> bool:
        if self.direction == "low":
            return value > band.threshold + self.hysteresis
        return value < band.threshold - self.hysteresis


def _rule(key: str, kind: str, direction: str, bands: dict[str, float], **timing: Any) -> Rule:
    ordered = tuple(Band(s, bands[s]) for s in SEVERITIES if s in bands)
    return Rule(key, kind, direction, ordered, **timing)


_CONTINUOUS = {"duration_s": 30, "min_readings": 2, "clear_after_s": 60, "max_gap_s": 120}
_SLOW = {"duration_s": 120, "min_readings": 2, "clear_after_s": 300, "max_gap_s": 600}
# Cuffs and glucose meters measure every few minutes or hours: two consecutive readings.
_SPOT = {"duration_s": 0, "min_readings": 2, "clear_after_s": 0, "max_gap_s": 6 * 3600}

DEFAULT_RULES: tuple[Rule, ...] = (
    _rule("spo2_low", "spo2", "low", {"warning": 93, "critical": 89, "emergency": 84}, hysteresis=1,
          **_CONTINUOUS),
    _rule("heart_rate_high", "heart_rate", "high", {"warning": 111, "critical": 131, "emergency": 150},
          hysteresis=5, **{**_CONTINUOUS, "duration_s": 60}),
    _rule("heart_rate_low", "heart_rate", "low", {"info": 50, "critical": 40, "emergency": 30}, hysteresis=3,
          **{**_CONTINUOUS, "duration_s": 60}),
    _rule("respiratory_rate_high", "respiratory_rate", "high", {"warning": 21, "critical": 25, "emergency": 35},
          hysteresis=1, **{**_CONTINUOUS, "duration_s": 60}),
    _rule("respiratory_rate_low", "respiratory_rate", "low", {"warning": 11, "critical": 8, "emergency": 5},
          hysteresis=1, **{**_CONTINUOUS, "duration_s": 60}),
    _rule("temperature_high", "temperature", "high",
          {"info": 38.1, "warning": 39.1, "critical": 40.0, "emergency": 41.0}, hysteresis=0.2, **_SLOW),
    _rule("temperature_low", "temperature", "low", {"warning": 35.0, "critical": 32.0, "emergency": 28.0},
          hysteresis=0.2, **_SLOW),
    _rule("systolic_low", "systolic", "low", {"warning": 100, "critical": 90, "emergency": 70}, hysteresis=5,
          **_SPOT),
    _rule("systolic_high", "systolic", "high", {"warning": 180, "critical": 220}, hysteresis=5, **_SPOT),
    _rule("diastolic_high", "diastolic", "high", {"warning": 110, "critical": 120}, hysteresis=5, **_SPOT),
    _rule("glucose_low", "glucose", "low", {"warning": 69, "critical": 53}, hysteresis=5, **_SPOT),
    _rule("glucose_high", "glucose", "high", {"warning": 250, "critical": 600}, hysteresis=10, **_SPOT),
)
DEFAULTS = {r.key: r for r in DEFAULT_RULES}
SPO2_SCALE2_BANDS = (Band("warning", 85), Band("critical", 83), Band("emergency", 79))

# NEWS2 as a rule over its "level" (0 none, 1 critical, 2 emergency; `server.alerting.news2`): a single
# aggregate computed from a noisy reading must persist like any other breach.
NEWS2_RULE = Rule("news2", "news2", "high", (Band("critical", 1), Band("emergency", 2)),
                  duration_s=60, min_readings=2, clear_after_s=120, max_gap_s=300)
NEWS2_LEVEL = {None: 0, "critical": 1, "emergency": 2}
TIMING_FIELDS = ("duration_s", "min_readings", "clear_after_s", "hysteresis", "max_gap_s")


def validate_bands(direction: str, bands: list[Band]) -> None:
    """Severities rise strictly and thresholds move strictly away from normal; else ValueError."""
    for a, b in itertools.pairwise(bands):
        if rank(b.severity) <= rank(a.severity):
            raise ValueError("bands must be listed by rising severity, each severity once")
        if (direction == "low" and b.threshold >= a.threshold) or (direction == "high" and b.threshold <= a.threshold):
            raise ValueError(f"a more severe {direction} band needs a more extreme threshold")


def effective_rules(overrides: dict[str, dict] | None = None, spo2_scale: int = 1) -> list[Rule]:
    """The defaults with a patient's overrides applied: `{key: {bands?, enabled?, <timing>?}}`."""
    out = []
    for rule in DEFAULT_RULES:
        if rule.key == "spo2_low" and spo2_scale == 2:
            rule = replace(rule, bands=SPO2_SCALE2_BANDS)
        change = (overrides or {}).get(rule.key) or {}
        if change.get("enabled") is False:
            continue
        if change.get("bands"):
            rule = replace(rule, bands=tuple(Band(b["severity"], float(b["threshold"])) for b in change["bands"]))
        timing = {k: change[k] for k in TIMING_FIELDS if change.get(k) is not None}
        out.append(replace(rule, **timing) if timing else rule)
    return out


def describe(rule: Rule) -> dict[str, Any]:
    return {"key": rule.key, "kind": rule.kind, "direction": rule.direction,
            "bands": [{"severity": b.severity, "threshold": b.threshold} for b in rule.bands],
            **{k: getattr(rule, k) for k in TIMING_FIELDS}}
