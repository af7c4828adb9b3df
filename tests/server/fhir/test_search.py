"""FHIR search semantics as tables: date prefixes at each precision, tokens, ids that round-trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.errors import Invalid
from server.fhir.resources import observation_id, observations, parse_observation_id
from server.fhir.search import date_range, observation_query, patient_query, token_match
from tests.support.fhir import validate

T = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "start", "end"), [
    ("2026", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ("2026-12", datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ("2026-11-28", T, T + timedelta(days=1)),
    ("2026-11-28T10:15Z", T.replace(hour=10, minute=15), T.replace(hour=10, minute=16)),
    ("2026-11-28T10:15:30Z", T.replace(hour=10, minute=15, second=30), T.replace(hour=10, minute=15, second=31)),
    ("2026-11-28T10:15:30.250Z", T.replace(hour=10, minute=15, second=30, microsecond=250_000),
     T.replace(hour=10, minute=15, second=30, microsecond=251_000)),
    ("2026-11-28T11:15:30+01:00", T.replace(hour=10, minute=15, second=30), T.replace(hour=10, minute=15, second=31)),
    ("2026-11-28T11:15:30 01:00", T.replace(hour=10, minute=15, second=30), T.replace(hour=10, minute=15, second=31)),
    ("2026-11-28T10:15:30", T.replace(hour=10, minute=15, second=30), T.replace(hour=10, minute=15, second=31)),
])
def test_a_date_is_the_range_of_its_precision(raw, start, end):
    assert date_range(raw) == (start, end)


@pytest.mark.parametrize("raw", ["yesterday", "2026-13-01", "2026-11-31", "26-11-28", "2026-11-28T25:00Z", ""])
def test_bad_dates_are_400(raw):
    with pytest.raises(Invalid) as exc:
        date_range(raw)
    assert exc.value.details == [{"field": "date", "message": exc.value.message}]


DAY, NEXT = T, T + timedelta(days=1)


@pytest.mark.parametrize(("dates", "start", "end"), [
    (["2026-11-28"], DAY, NEXT),
    (["eq2026-11-28"], DAY, NEXT),
    (["ge2026-11-28"], DAY, None),
    (["gt2026-11-28"], NEXT, None),  # after the whole day
    (["sa2026-11-28"], NEXT, None),
    (["le2026-11-28"], None, NEXT),  # up to the end of that day
    (["lt2026-11-28"], None, DAY),
    (["eb2026-11-28"], None, DAY),
    (["ge2026-11-01", "lt2026-11-28"], datetime(2026, 11, 1, tzinfo=UTC), DAY),
    (["ge2026-11-01", "ge2026-11-28"], DAY, None),  # ANDed: the narrower wins
])
def test_date_prefixes(dates, start, end):
    q = observation_query([("date", d) for d in dates])
    assert (q.start, q.end) == (start, end)


@pytest.mark.parametrize(("params", "field"), [
    ([("date", "ne2026-11-28")], "date"), ([("date", "ap2026-11-28")], "date"),
    ([("_count", "0")], "_count"), ([("_count", "ten")], "_count"), ([("_count", "-1")], "_count"),
    ([("_sort", "value")], "_sort"), ([("_cursor", "nope")], "_cursor"), ([("code", "http://loinc.org|")], "code"),
    ([("patient", "a"), ("subject", "Patient/b")], "subject"),
])
def test_bad_parameters_name_their_field(params, field):
    with pytest.raises(Invalid) as exc:
        observation_query(params)
    assert exc.value.details[0]["field"] == field


def test_unknown_parameters_are_ignored_unless_strict():
    q = observation_query([("patient", "p1"), ("foo", "1"), ("_format", "json"), ("_count", "5000")])
    assert q.used == [("patient", "p1"), ("_count", "1000")] and q.count == 1000  # capped, and said so
    with pytest.raises(Invalid) as exc:
        observation_query([("patient", "p1"), ("foo", "1")], strict=True)
    assert exc.value.details[0]["field"] == "foo"
    observation_query([("patient", "p1"), ("_format", "json")], strict=True)  # general parameters are known
    with pytest.raises(Invalid):
        patient_query([("name", "x")], strict=True)


@pytest.mark.parametrize(("raw", "match"), [
    ("8867-4", True), ("http://loinc.org|8867-4", True), ("http://snomed.info/sct|8867-4", False),
    ("|8867-4", False), ("9279-1,8867-4", True), ("9279-1", False),
])
def test_code_tokens(raw, match):
    q = observation_query([("code", raw)])
    assert token_match(q.codes[0], {("http://loinc.org", "8867-4")}) is match


def test_observation_ids_round_trip_and_tell_sources_apart():
    ts = datetime(2026, 11, 28, 10, 15, 30, 123_000, tzinfo=UTC)
    pid = "0123456789abcdef0123456789abcdef"
    a, b = observation_id(pid, ts, "spo2", "dev-1", 7), observation_id(pid, ts, "spo2", "dev_2", 7)
    assert a != b and len(a) <= 64 and a == observation_id(pid, ts, "spo2", "dev-1", 7)
    assert parse_observation_id(a) == (pid, ts, "spo2") == parse_observation_id(b)
    for bad in ("", "x", f"{pid}.zz.hr", f"{pid}.1.xx.0123abcd", "a" * 65):
        assert parse_observation_id(bad) is None


def test_a_lone_systolic_keeps_the_bp_profile_shape():
    doc = {"patient_id": "p1", "device_id": "d1", "seq": 1, "ts": T, "received_at": T,
           "readings": {"systolic": {"value": 120, "unit": "mm[Hg]", "loinc": "8480-6"}}}
    (bp,) = observations(doc)
    assert bp["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/bp"]
    assert [c["code"]["coding"][0]["code"] for c in bp["component"]] == ["8480-6", "8462-4"]
    assert validate(bp)["component"][1]["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert "valueQuantity" not in bp["component"][1]


def test_a_reading_with_a_suspect_clock_says_so():
    doc = {"patient_id": "p1", "device_id": "d1", "seq": 1, "ts": T - timedelta(days=400), "received_at": T,
           "readings": {"heart_rate": {"value": 70, "unit": "/min", "loinc": "8867-4"}}}
    assert "note" not in observations(doc)[0]
    (hr,) = observations({**doc, "clock_suspect": True})
    assert "device clock" in validate(hr)["note"][0]["text"] and hr["issued"] == T.isoformat()


def test_a_cut_search_says_so_in_an_outcome_entry():
    from server.fhir.resources import searchset
    full = validate(searchset("http://h/fhir", [], {"self": "http://h/fhir/DetectedIssue?patient=p1"}, 0))
    assert full["total"] == 0 and full["entry"] == []
    cut = validate(searchset("http://h/fhir", [], {"self": "http://h/fhir/DetectedIssue?patient=p1"}, None,
                             "Only the 100 most recent alerts are given"))
    assert "total" not in cut
    (entry,) = cut["entry"]
    assert entry["search"] == {"mode": "outcome"} and entry["resource"]["issue"][0]["severity"] == "warning"
