"""Threshold rules: defaults, overrides, persistence before firing and hysteresis before clearing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.alerting.rule_state import step
from server.alerting.rules import DEFAULTS, NEWS2_RULE, Band, effective_rules, validate_bands

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SPO2 = DEFAULTS["spo2_low"]


def feed(rule, values, every=5.0, state=None, start=0.0):
    """Feed values at a fixed interval; return (state, [(t, action, severity)])."""
    out = []
    for i, v in enumerate(values):
        t = start + i * every
        state, tr = step(rule, state, v, T0 + timedelta(seconds=t))
        if tr:
            out.append((t, tr.action, tr.severity))
    return state, out


def test_every_default_rule_is_well_formed_and_cites_bands_in_order():
    for rule in DEFAULTS.values():
        validate_bands(rule.direction, list(rule.bands))
        assert rule.min_readings >= 2, rule.key  # never one sample
    assert [b.severity for b in SPO2.bands] == ["warning", "critical", "emergency"]


def test_a_single_bad_sample_never_fires():
    _, out = feed(SPO2, [97, 85, 97, 97, 85, 97])
    assert out == []


def test_spo2_below_90_for_30_seconds_fires_critical_not_before():
    _, out = feed(SPO2, [89] * 6)            # t = 0..25 s
    assert out == []
    _, out = feed(SPO2, [89] * 7)            # t = 30 s
    assert out == [(30.0, "raise", "critical")]


def test_n_consecutive_readings_mode():
    rule = DEFAULTS["systolic_low"]          # duration 0, two consecutive readings
    _, out = feed(rule, [88, 120, 88, 88], every=900)
    assert out == [(2700.0, "raise", "critical")]


def test_silence_longer_than_max_gap_restarts_the_count():
    state, out = step(SPO2, None, 85, T0)
    state, out = step(SPO2, state, 85, T0 + timedelta(seconds=600))
    assert out is None                        # 10 minutes of silence prove nothing
    state, out = step(SPO2, state, 85, T0 + timedelta(seconds=630))
    assert out.action == "raise"


def test_severity_rises_and_repeats_are_reported():
    state, out = feed(SPO2, [92] * 7)                     # warning after 30 s
    assert out == [(30.0, "raise", "warning")]
    state, out = feed(SPO2, [88] * 7, state=state, start=35)
    assert out[-1] == (65.0, "rise", "critical")
    assert [a for _, a, _ in out[:-1]] == ["repeat"] * 6   # still warning meanwhile, counted


def test_clears_only_after_hysteresis_and_time():
    state, _ = feed(SPO2, [88] * 7)                       # warning + critical active
    state, out = feed(SPO2, [94] * 30, state=state, start=35)
    # 94 is above both thresholds but within warning's hysteresis (93 + 1): no clear, ever
    assert all(a != "clear" for _, a, _ in out)
    state, out = feed(SPO2, [95] * 13, state=state, start=185)
    assert out == [(245.0, "clear", None)]                 # 60 s beyond the hysteresis edge


def test_hovering_on_the_edge_does_not_flap():
    values = [93, 94, 93, 95, 92, 96, 93, 95] * 20
    _, out = feed(SPO2, values)
    actions = [a for _, a, _ in out]
    assert actions.count("raise") <= 1 and actions.count("clear") == 0


def test_burst_of_bad_readings_raises_once():
    _, out = feed(SPO2, [80] * 500, every=0.5)
    assert [a for _, a, _ in out].count("raise") == 1


def test_replayed_older_reading_is_ignored():
    state, _ = feed(SPO2, [97, 97])
    new, tr = step(SPO2, state, 80, T0 - timedelta(seconds=10))
    assert tr is None and new["last_at"] == state["last_at"]


def test_overrides_replace_bands_and_timing_and_can_disable():
    rules = {r.key: r for r in effective_rules({
        "heart_rate_high": {"bands": [{"severity": "warning", "threshold": 100}], "duration_s": 10},
        "glucose_low": {"enabled": False}})}
    assert rules["heart_rate_high"].bands == (Band("warning", 100.0),)
    assert rules["heart_rate_high"].duration_s == 10
    assert rules["heart_rate_high"].hysteresis == DEFAULTS["heart_rate_high"].hysteresis
    assert "glucose_low" not in rules and "glucose_high" in rules


def test_spo2_scale2_patients_get_scale2_bands():
    rule = {r.key: r for r in effective_rules(spo2_scale=2)}["spo2_low"]
    _, out = feed(rule, [89] * 10)
    assert out == []                                       # in the scale-2 target range
    _, out = feed(rule, [83] * 10)
    assert out[0] == (30.0, "raise", "critical")


def test_band_validation_refuses_nonsense():
    with pytest.raises(ValueError):
        validate_bands("low", [Band("warning", 90), Band("critical", 92)])
    with pytest.raises(ValueError):
        validate_bands("high", [Band("critical", 120), Band("warning", 130)])


def test_news2_level_rule_needs_persistence():
    _, out = feed(NEWS2_RULE, [1, 0, 1, 0], every=30)
    assert out == []
    _, out = feed(NEWS2_RULE, [1, 1, 1, 2, 2, 2], every=30)
    assert out == [(60.0, "raise", "critical"), (90.0, "repeat", "critical"), (120.0, "repeat", "critical"),
                   (150.0, "rise", "emergency")]
