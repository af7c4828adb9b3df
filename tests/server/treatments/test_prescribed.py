"""Reading a prescription's free-text frequency and duration, leniently but never by guessing."""

from __future__ import annotations

import pytest

from server.treatments import prescribed


@pytest.mark.parametrize(("text", "value"), [
    ("3", 3), ("3 fois par jour", 3), ("2x/jour", 2), ("1 comprimé le soir", 1), ("24", 24),
    ("matin et soir", None), ("", None), ("0", None), ("30 par jour", None),
])
def test_per_day(text, value):
    assert prescribed.per_day(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("7", 7), ("7 jours", 7), ("10 days", 10), ("2 semaines", 14), ("1 week", 7), ("3 mois", 90), ("5j", 5),
    ("une semaine", None), ("7 ans", None), ("0 jours", None), ("2 years", None), ("13 mois", None),
])
def test_days(text, value):
    assert prescribed.days(text) == value


def test_courses_keep_only_readable_medications():
    rx = {"medications": [{"name": "Amoxicilline", "frequency": "3 fois par jour", "duration": "7 jours"},
                          {"name": "Vitamine D", "frequency": "1", "duration": "jusqu'à nouvel ordre"}]}
    assert prescribed.courses(rx) == [{"medocs_name": "Amoxicilline", "frequency": 3, "duration_days": 7}]
