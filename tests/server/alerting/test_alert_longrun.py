"""Long runs on a FakeClock: normal simulated vitals raise nothing; the demo's episode raises, escalates, clears."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from server.clock import FakeClock
from server.demo.scenario import EPISODE
from server.demo.simulator import PROFILES
from tests.support.longrun import simulate


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, alert_tick_s=3600.0)


async def test_an_hour_of_normal_vitals_raises_no_alert(client, app):
    profiles = {"stable": PROFILES["stable"], "hypertensive": PROFILES["hypertensive"],
                "stable2": PROFILES["stable"]}
    result = await simulate(app, profiles, minutes=60)
    assert result["readings"] == 3 * 60 * 12
    assert result["alerts_raised"] == 0, result["by_type"]


async def test_demo_episode_raises_escalates_and_clears(client, app):
    result = await simulate(app, {"episode": EPISODE}, minutes=29)
    # one clinical event, one alert: every rule and NEWS2 parameter is a cause of the same episode
    (episode,) = result["alerts"]
    rules = {c["rule"] for c in episode["causes"] if c["kind"] == "rule"}
    assert {"spo2_low", "heart_rate_high", "respiratory_rate_high", "temperature_high"} <= rules
    assert {"spo2", "heart_rate", "respiratory_rate"} <= {c["parameter"] for c in episode["causes"]
                                                          if c["kind"] == "news2"}
    actions = [h["action"] for h in episode["history"]]
    assert "emergency" in {h.get("severity") for h in episode["history"]}
    assert result["escalations"] >= 2 and episode["escalation_level"] >= 2
    # the recovery is followed: severity falls before the episode ends
    assert "severity_fell" in actions and actions[-1] == "cleared"
    assert result["open"] == 0 and episode["clear_reason"] == "auto"
