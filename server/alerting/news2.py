"""NEWS2, the National Early Warning Score 2 (Royal College of Physicians, 2017, Chart 1).

`score(obs, spo2_scale=...)` is pure: it takes the observations that are available and
returns the aggregate of the parameters it could score, the list of those it could not,
and a `partial` flag. A missing parameter is never scored as 0: a partial score is a
lower bound of the true score (every parameter scores ≥ 0), which is why a partial score
that already reaches 5 is still worth an alert, while a low partial score reassures nobody.

Values are first rounded to the chart's resolution (whole numbers; temperature to 0.1 °C),
as a nurse charting them would, then compared with the chart's inclusive band edges.
SpO2 scale 2 (hypercapnic respiratory failure, target 88–92 %) scores SpO2 ≥ 93 % as 0 on
air but 1–3 on oxygen; when the oxygen status is unknown that SpO2 score is a lower bound
too and SpO2 is listed in `indeterminate`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# The seven NEWS2 parameters, in chart order; the first five come from devices.
PARAMETERS = ("respiratory_rate", "spo2", "supplemental_oxygen", "systolic", "heart_rate",
              "consciousness", "temperature")
DEVICE_KINDS = ("respiratory_rate", "spo2", "systolic", "heart_rate", "temperature")
# ACVPU: A = alert scores 0; new Confusion, Voice, Pain, Unresponsive score 3.
CONSCIOUSNESS = ("A", "C", "V", "P", "U")


def _round(value: float, places: int = 0) -> float:
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _bands(value: float, edges: list[tuple[float, int]], above: int) -> int:
    """First `(upper_inclusive, points)` whose edge is ≥ value; `above` past the last edge."""
    for upper, points in edges:
        if value <= upper:
            return points
    return above


def respiration(rr: float) -> int:
    return _bands(_round(rr), [(8, 3), (11, 1), (20, 0), (24, 2)], 3)


def spo2_scale1(spo2: float) -> int:
    return _bands(_round(spo2), [(91, 3), (93, 2), (95, 1)], 0)


def spo2_scale2(spo2: float, on_oxygen: bool) -> int:
    value = _round(spo2)
    low = _bands(value, [(83, 3), (85, 2), (87, 1), (92, 0)], -1)
    if low >= 0:
        return low
    if not on_oxygen:
        return 0  # ≥ 93 % on air is the target range of scale 2
    return _bands(value, [(94, 1), (96, 2)], 3)


def air_or_oxygen(on_oxygen: bool) -> int:
    return 2 if on_oxygen else 0


def systolic(sbp: float) -> int:
    return _bands(_round(sbp), [(90, 3), (100, 2), (110, 1), (219, 0)], 3)


def pulse(hr: float) -> int:
    return _bands(_round(hr), [(40, 3), (50, 1), (90, 0), (110, 1), (130, 2)], 3)


def consciousness(level: str) -> int:
    return 0 if level == "A" else 3


def temperature(temp_c: float) -> int:
    return _bands(_round(temp_c, 1), [(35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1)], 2)


def risk(total: int, any_three: bool) -> str:
    """RCP clinical risk: ≥7 high, 5–6 medium, a 3 in one parameter low–medium, else low."""
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    return "low_medium" if any_three else "low"


@dataclass
class News2:
    score: int
    partial: bool
    missing: list[str]
    parameters: dict[str, dict[str, Any]]
    spo2_scale: int
    risk: str
    any_three: bool
    indeterminate: list[str] = field(default_factory=list)

    @property
    def alert_severity(self) -> str | None:
        """The issue's rule: ≥ 7 emergency; ≥ 5 or a 3 in a single parameter critical."""
        if self.score >= 7:
            return "emergency"
        if self.score >= 5 or self.any_three:
            return "critical"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "alert_severity": self.alert_severity}


def score(obs: dict[str, Any], spo2_scale: int = 1) -> News2:
    """Score the available observations: numeric vitals, `supplemental_oxygen` (bool) and
    `consciousness` (one of ACVPU); absent or None means not observed."""
    if spo2_scale not in (1, 2):
        raise ValueError("spo2_scale is 1 or 2")
    present = {k: obs[k] for k in PARAMETERS if obs.get(k) is not None}
    if "consciousness" in present and present["consciousness"] not in CONSCIOUSNESS:
        raise ValueError(f"consciousness is one of {CONSCIOUSNESS}")
    oxygen = present.get("supplemental_oxygen")
    points: dict[str, int] = {}
    indeterminate: list[str] = []
    for name, value in present.items():
        if name == "spo2":
            if spo2_scale == 1:
                points[name] = spo2_scale1(value)
            else:
                points[name] = spo2_scale2(value, bool(oxygen))
                if oxygen is None and _round(value) >= 93:
                    indeterminate.append("spo2")
        else:
            points[name] = SCORERS[name](value)
    missing = [k for k in PARAMETERS if k not in present]
    total = sum(points.values())
    any_three = any(p == 3 for p in points.values())
    return News2(
        score=total, partial=bool(missing), missing=missing,
        parameters={k: {"value": present[k], "score": points[k]} for k in PARAMETERS if k in present},
        spo2_scale=spo2_scale, risk=risk(total, any_three), any_three=any_three,
        indeterminate=indeterminate)


SCORERS = {"respiratory_rate": respiration, "supplemental_oxygen": air_or_oxygen, "systolic": systolic,
           "heart_rate": pulse, "consciousness": consciousness, "temperature": temperature}
