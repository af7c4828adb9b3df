"""Pure tables: a rule's severity falls only past its hysteresis for its clear time; an episode's causes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.alerting import causes, rule_state
from server.alerting.rules import DEFAULTS

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SPO2 = DEFAULTS["spo2_low"]  # warning ≤ 93, critical ≤ 89, emergency ≤ 84; hysteresis 1, clear after 60 s


def run(rule, values: list[float], every: float = 5.0) -> list[tuple[str, str | None]]:
    state, out = None, []
    for i, value in enumerate(values):
        state, tr = rule_state.step(rule, state, value, T0 + timedelta(seconds=i * every))
        if tr is not None and tr.action != "repeat":
            out.append((tr.action, tr.severity))
    return out


@pytest.mark.parametrize(("values", "expected"), [
    # critical, then 91 (warning band, critical recovered beyond 89 + 1) for the clear time: falls once
    ([88] * 8 + [91] * 13, [("raise", "critical"), ("fall", "warning")]),
    # 90 sits inside the hysteresis: the critical band stays active however long
    ([88] * 8 + [90] * 30, [("raise", "critical")]),
    # hovering 91/89 across the boundary value: never 60 s recovered, no flapping
    ([88] * 8 + [91, 91, 91, 89] * 10, [("raise", "critical")]),
    # fallen, then worse again: it must persist again (30 s, 2 readings) before rising
    ([88] * 8 + [91] * 13 + [88] * 7, [("raise", "critical"), ("fall", "warning"), ("rise", "critical")]),
    # emergency → normal: no stop at the bands between, one clear
    ([83] * 8 + [97] * 13, [("raise", "emergency"), ("clear", None)]),
])
def test_severity_falls_only_past_the_hysteresis_for_the_clear_time(values, expected):
    assert run(SPO2, values) == expected


def cause(key: str, severity: str) -> dict:
    return {"key": key, "kind": "rule" if key.startswith("rule:") else "news2", "severity": severity}


@pytest.mark.parametrize(("start", "upserts", "cleared", "scope", "severity", "added", "ended"), [
    ([], [cause("rule:spo2_low", "warning"), cause("news2:spo2", "critical")], [], None, "critical",
     ["rule:spo2_low", "news2:spo2"], []),
    # NEWS2's parameter set is replaced as a whole: spo2 stops scoring, heart_rate starts
    ([cause("news2:spo2", "critical")], [cause("news2:heart_rate", "critical")], [], "news2:", "critical",
     ["news2:heart_rate"], ["news2:spo2"]),
    # the last cause clears: the episode is over
    ([cause("rule:spo2_low", "warning")], [], ["rule:spo2_low"], None, None, [], ["rule:spo2_low"]),
    # a cause's own severity falls: the alert's is the highest left
    ([cause("rule:spo2_low", "critical"), cause("rule:glucose_high", "warning")], [cause("rule:spo2_low", "warning")],
     [], None, "warning", [], []),
])
def test_merge_causes(start, upserts, cleared, scope, severity, added, ended):
    before, _, _ = causes.merge([], start, [], T0)
    after, got_added, got_ended = causes.merge(before, upserts, cleared, T0 + timedelta(seconds=5), scope)
    assert (causes.severity(after), got_added, got_ended) == (severity, added, ended)
    assert all(c["since"] == T0 for c in after if c["key"] not in added)
