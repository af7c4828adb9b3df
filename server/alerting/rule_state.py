"""The pure state machine behind every threshold rule: persistence before firing, hysteresis before clearing.

`step(rule, state, value, at)` folds one reading (its time given, never read from a clock)
into the rule's state and says what the alert should do:

- a band fires once its breach has lasted `duration_s` AND been seen in `min_readings`
  consecutive readings; a reading back in range, or a silence longer than `max_gap_s`,
  restarts the count;
- an active band clears once every reading for `clear_after_s` has been beyond
  `threshold ± hysteresis`; a value between the threshold and the hysteresis edge keeps it
  active (so a value hovering on the edge does not flap);
- the rule's severity is that of its most severe active band: it falls ("fall") only when a
  higher band clears by the same hysteresis and clear time, so severity does not flap either.

State is a plain dict (stored as is in MongoDB, so rules survive a restart and any
process can continue them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.alerting.rules import Rule, rank


@dataclass(frozen=True)
class Transition:
    action: str          # "raise" | "rise" | "fall" | "repeat" | "clear"
    severity: str | None
    value: float


def new_state(rule: Rule) -> dict[str, Any]:
    return {"bands": [_band() for _ in rule.bands], "last_at": None, "severity": None}


def _band() -> dict[str, Any]:
    return {"since": None, "count": 0, "active": False, "ok_since": None}


def _fit(rule: Rule, state: dict[str, Any] | None) -> dict[str, Any]:
    """A stored state whose rule gained or lost bands (an override) starts over for those bands."""
    if state is None:
        return new_state(rule)
    bands = state.get("bands") or []
    if len(bands) != len(rule.bands):
        bands = [_band() for _ in rule.bands]
    return {"bands": [dict(b) for b in bands], "last_at": state.get("last_at"), "severity": state.get("severity")}


def _seconds(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds()


def step(rule: Rule, state: dict[str, Any] | None, value: float, at: datetime
         ) -> tuple[dict[str, Any], Transition | None]:
    """Fold one reading into a copy of `state`; return (new state, transition or None)."""
    state = _fit(rule, state)
    last = state["last_at"]
    if last is not None and at < last:
        return state, None  # an older, replayed reading must not rewrite the present
    gap = last is not None and _seconds(at, last) > rule.max_gap_s
    any_breach = False
    for band, bs in zip(rule.bands, state["bands"], strict=True):
        if rule.breached(band, value):
            any_breach = True
            bs["ok_since"] = None
            if not bs["active"]:
                if bs["since"] is None or gap:
                    bs["since"], bs["count"] = at, 0
                bs["count"] += 1
                if _seconds(at, bs["since"]) >= rule.duration_s and bs["count"] >= rule.min_readings:
                    bs["active"], bs["since"], bs["count"] = True, None, 0
            continue
        bs["since"], bs["count"] = None, 0
        if not bs["active"]:
            continue
        if not rule.recovered(band, value):
            bs["ok_since"] = None
            continue
        if bs["ok_since"] is None or gap:
            bs["ok_since"] = at
        if _seconds(at, bs["ok_since"]) >= rule.clear_after_s:
            bs["active"], bs["ok_since"] = False, None
    state["last_at"] = at
    before = state["severity"]
    after = next((b.severity for b, bs in reversed(list(zip(rule.bands, state["bands"], strict=True)))
                  if bs["active"]), None)
    state["severity"] = after
    if before is None and after is not None:
        return state, Transition("raise", after, value)
    if before is not None and after is None:
        return state, Transition("clear", None, value)
    if after is not None and rank(after) > rank(before):
        return state, Transition("rise", after, value)
    if after is not None and rank(after) < rank(before):
        return state, Transition("fall", after, value)  # a higher band cleared (hysteresis, clear time)
    if after is not None and any_breach:
        return state, Transition("repeat", after, value)
    return state, None


def reset(rule: Rule) -> dict[str, Any]:
    """State after an alert was cleared by hand: the breach must persist again to re-raise."""
    return new_state(rule)
