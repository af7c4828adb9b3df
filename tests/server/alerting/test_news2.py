"""NEWS2 against every band edge of RCP 2017 Chart 1, both SpO2 scales, air/oxygen, composites."""

from __future__ import annotations

import pytest

from server.alerting import news2

# (value, points) on both sides of every edge of the chart.
EDGES = {
    "respiratory_rate": [(0, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (60, 3)],
    "systolic": [(50, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
    "heart_rate": [(20, 3), (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2),
                   (130, 2), (131, 3), (200, 3)],
    "temperature": [(33.0, 3), (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1),
                    (39.1, 2), (41.5, 2)],
    "consciousness": [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3)],
    "supplemental_oxygen": [(False, 0), (True, 2)],
}
SCALE1 = [(70, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
SCALE2_AIR = [(70, 3), (83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0), (93, 0), (97, 0), (100, 0)]
SCALE2_O2 = [(83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0), (93, 1), (94, 1), (95, 2), (96, 2),
             (97, 3), (100, 3)]


@pytest.mark.parametrize(("name", "value", "points"),
                         [(n, v, p) for n, cases in EDGES.items() for v, p in cases])
def test_each_parameter_at_every_band_edge(name, value, points):
    result = news2.score({name: value})
    assert result.parameters[name] == {"value": value, "score": points}
    assert result.score == points
    assert result.partial and name not in result.missing and len(result.missing) == 6


@pytest.mark.parametrize(("spo2", "points"), SCALE1)
@pytest.mark.parametrize("oxygen", [False, True])
def test_spo2_scale1_ignores_oxygen_for_the_spo2_points(spo2, points, oxygen):
    result = news2.score({"spo2": spo2, "supplemental_oxygen": oxygen})
    assert result.parameters["spo2"]["score"] == points
    assert result.score == points + (2 if oxygen else 0)


@pytest.mark.parametrize(("spo2", "points"), SCALE2_AIR)
def test_spo2_scale2_on_air(spo2, points):
    result = news2.score({"spo2": spo2, "supplemental_oxygen": False}, spo2_scale=2)
    assert result.parameters["spo2"]["score"] == points and result.score == points
    assert result.indeterminate == []


@pytest.mark.parametrize(("spo2", "points"), SCALE2_O2)
def test_spo2_scale2_on_oxygen(spo2, points):
    result = news2.score({"spo2": spo2, "supplemental_oxygen": True}, spo2_scale=2)
    assert result.parameters["spo2"]["score"] == points
    assert result.score == points + 2  # oxygen itself scores 2


def test_scale2_without_oxygen_status_is_a_lower_bound_and_says_so():
    high = news2.score({"spo2": 97}, spo2_scale=2)
    assert high.parameters["spo2"]["score"] == 0 and high.indeterminate == ["spo2"]
    assert "supplemental_oxygen" in high.missing and high.partial
    low = news2.score({"spo2": 85}, spo2_scale=2)
    assert low.parameters["spo2"]["score"] == 2 and low.indeterminate == []


def test_values_are_rounded_to_the_chart_resolution_before_scoring():
    assert news2.score({"heart_rate": 90.4}).score == 0
    assert news2.score({"heart_rate": 90.5}).score == 1
    assert news2.score({"temperature": 38.04}).score == 0
    assert news2.score({"temperature": 38.05}).score == 1
    assert news2.score({"spo2": 95.5}).score == 0


def test_complete_normal_set_scores_zero_and_is_not_partial():
    obs = {"respiratory_rate": 16, "spo2": 97, "supplemental_oxygen": False, "systolic": 125,
           "heart_rate": 72, "consciousness": "A", "temperature": 36.8}
    result = news2.score(obs)
    assert (result.score, result.partial, result.missing, result.risk) == (0, False, [], "low")
    assert result.alert_severity is None


def test_missing_parameters_are_listed_never_scored_as_zero():
    result = news2.score({"heart_rate": 72, "spo2": 97, "temperature": 36.8, "systolic": 125,
                          "respiratory_rate": None})
    assert result.missing == ["respiratory_rate", "supplemental_oxygen", "consciousness"]
    assert result.partial and set(result.parameters) == {"spo2", "systolic", "heart_rate", "temperature"}
    assert "respiratory_rate" not in result.parameters
    empty = news2.score({})
    assert empty.score == 0 and empty.partial and empty.missing == list(news2.PARAMETERS)


def test_composite_medium_response():
    # RR 22 (2) + SpO2 94 (1) + HR 105 (1) + temp 38.5 (1) = 5 -> medium, critical alert
    result = news2.score({"respiratory_rate": 22, "spo2": 94, "supplemental_oxygen": False, "systolic": 120,
                          "heart_rate": 105, "consciousness": "A", "temperature": 38.5})
    assert (result.score, result.risk, result.alert_severity) == (5, "medium", "critical")
    assert not result.any_three


def test_composite_single_three_is_low_medium_and_critical_alert():
    result = news2.score({"respiratory_rate": 16, "spo2": 97, "supplemental_oxygen": False, "systolic": 125,
                          "heart_rate": 72, "consciousness": "V", "temperature": 36.8})
    assert (result.score, result.risk, result.any_three, result.alert_severity) == (3, "low_medium", True,
                                                                                     "critical")


def test_composite_high_response_on_oxygen():
    # RR 26 (3) + SpO2 90 (3) + O2 (2) + SBP 95 (2) + HR 125 (2) + C (3) + temp 39.5 (2) = 17
    result = news2.score({"respiratory_rate": 26, "spo2": 90, "supplemental_oxygen": True, "systolic": 95,
                          "heart_rate": 125, "consciousness": "C", "temperature": 39.5})
    assert (result.score, result.risk, result.alert_severity) == (17, "high", "emergency")
    boundary = news2.score({"respiratory_rate": 22, "spo2": 94, "supplemental_oxygen": True, "systolic": 120,
                            "heart_rate": 105, "consciousness": "A", "temperature": 38.5})
    assert (boundary.score, boundary.risk, boundary.alert_severity) == (7, "high", "emergency")


def test_partial_score_already_high_still_raises():
    result = news2.score({"heart_rate": 135, "spo2": 91, "systolic": 95})  # 3 + 3 + 2
    assert result.partial and result.score == 8 and result.alert_severity == "emergency"


def test_four_points_without_a_three_is_low_and_raises_nothing():
    result = news2.score({"respiratory_rate": 22, "heart_rate": 105, "temperature": 38.5})
    assert (result.score, result.risk, result.alert_severity) == (4, "low", None)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        news2.score({"consciousness": "X"})
    with pytest.raises(ValueError):
        news2.score({}, spo2_scale=3)
    assert news2.score({"heart_rate": 72}).to_dict()["alert_severity"] is None
