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
    types = {a["type"] for a in result["alerts"]}
    assert {"spo2_low", "heart_rate_high", "respiratory_rate_high", "temperature_high", "news2"} <= types
    news2 = next(a for a in result["alerts"] if a["type"] == "news2")
    assert news2["severity"] == "emergency"
    assert result["escalations"] >= 2 and news2["escalation_level"] >= 2
    assert result["open"] == 0, [(a["type"], a["state"]) for a in result["alerts"] if a["open"]]
    assert all(a["clear_reason"] == "auto" for a in result["alerts"])
    assert max(n for n in result["by_type"].values()) == 1  # one alert per type, however long it lasted
