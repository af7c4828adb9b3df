"""Inputs of one check: the body first, then the profile; age on the server's date."""

from __future__ import annotations

from datetime import date

import pytest

from models.common import parse
from models.errors import Invalid
from models.symptoms import SymptomCheckIn
from server.symptoms.predict import age_on, resolve_inputs

SYMPTOMS = {"fever": False, "cough": True, "fatigue": False, "difficulty_breathing": True}
PROFILE = {"birth_date": "1990-06-15", "gender": "female", "blood_pressure": "high", "cholesterol_level": "low"}


@pytest.mark.parametrize(("today", "age"), [(date(2026, 6, 14), 35), (date(2026, 6, 15), 36)])
def test_age_turns_on_the_birthday(today, age):
    assert age_on(date(1990, 6, 15), today) == age


def test_leap_day_birthday():
    assert age_on(date(2000, 2, 29), date(2026, 2, 28)) == 25
    assert age_on(date(2000, 2, 29), date(2026, 3, 1)) == 26


def test_profile_fills_what_the_body_leaves_out():
    body = parse(SymptomCheckIn, {"symptoms": SYMPTOMS, "gender": "male"})
    used = resolve_inputs(body, PROFILE, date(2026, 11, 28), (19, 90))
    assert used.model_dump() == {**SYMPTOMS, "age": 36, "gender": "male", "blood_pressure": "high",
                                 "cholesterol_level": "low", "from_profile": ["age", "blood_pressure",
                                                                              "cholesterol_level"],
                                 "outside_training_range": []}


def test_a_bad_stored_value_counts_as_missing():
    body = parse(SymptomCheckIn, {"symptoms": SYMPTOMS})
    with pytest.raises(Invalid) as err:
        resolve_inputs(body, {**PROFILE, "birth_date": "not a date", "cholesterol_level": "extreme"},
                       date(2026, 11, 28), (19, 90))
    assert [d["field"] for d in err.value.details] == ["age", "cholesterol_level"]


def test_ages_outside_the_data_are_flagged():
    body = parse(SymptomCheckIn, {"symptoms": SYMPTOMS, "age": 95})
    assert resolve_inputs(body, PROFILE, date(2026, 11, 28), (19, 90)).outside_training_range == ["age"]
