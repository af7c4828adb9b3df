"""Pure steps of one symptom check: which inputs to use, and the forest's ranking.

Age, gender, blood pressure and cholesterol come from the request when given, else
from the patient's stored profile (registration keeps birth_date, gender, blood_pressure
and cholesterol_level; see models/users.py PatientProfile). Age is computed from the
birth date on the server's clock. Gender "other" was never seen in training: the answer
is the mean of the forest's probabilities for both encodings rather than a guess.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from models.errors import Invalid
from models.symptoms import SymptomCheckIn, UsedInputs
from server.symptoms.dataset import LEVELS, encode

PROFILE_FIELDS = ("age", "gender", "blood_pressure", "cholesterol_level")


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _from_profile(profile: dict, name: str, today: date):
    if name != "age":
        value = profile.get(name)
        return value.lower() if isinstance(value, str) else None
    raw = profile.get("birth_date")
    try:
        return age_on(date.fromisoformat(str(raw)), today) if raw else None
    except ValueError:
        return None


def resolve_inputs(body: SymptomCheckIn, profile: dict, today: date, age_range: tuple[int, int]) -> UsedInputs:
    """The eight values to predict from; a 400 naming each one neither the body nor the profile gives."""
    given = {"age": body.age, "gender": body.gender, "blood_pressure": body.symptoms.blood_pressure,
             "cholesterol_level": body.cholesterol_level}
    values, from_profile, missing = {}, [], []
    for name in PROFILE_FIELDS:
        value = given[name]
        if value is None:
            value = _from_profile(profile, name, today)
            if value is not None:
                from_profile.append(name)
        valid = (isinstance(value, int) and 0 <= value <= 120) if name == "age" else (
            value in ("male", "female", "other") if name == "gender" else value in LEVELS)
        if not valid:
            missing.append(name)
        values[name] = value
    if missing:
        where = {"blood_pressure": "symptoms.blood_pressure"}
        raise Invalid("Some inputs are neither in the request nor in the patient's profile", details=[
            {"field": where.get(n, n), "message": "required: not in the patient's profile", "type": "missing"}
            for n in missing])
    outside = [n for n, out in (("age", not age_range[0] <= values["age"] <= age_range[1]),
                                ("gender", values["gender"] == "other")) if out]
    return UsedInputs(**body.symptoms.model_dump(exclude={"blood_pressure"}), **values,
                      from_profile=from_profile, outside_training_range=outside)


def rank(forest: RandomForestClassifier, used: UsedInputs) -> list[tuple[str, float]]:
    """Every known disease with its probability, most likely first (ties in class order)."""
    base = used.model_dump(include={"fever", "cough", "fatigue", "difficulty_breathing", "age",
                                    "blood_pressure", "cholesterol_level"})
    genders = ("male", "female") if used.gender == "other" else (used.gender,)
    rows = np.array([encode(**base, gender=g) for g in genders], dtype=np.float64)
    proba = forest.predict_proba(rows).mean(axis=0)
    order = np.argsort(-proba, kind="stable")
    return [(str(forest.classes_[i]), float(proba[i])) for i in order]
