"""Symptom checker schemas: the request of the earlier API (extended) and the answer.

Earlier clients send `{"symptoms": {fever, cough, fatigue, difficulty_breathing,
blood_pressure?}}` and read `{prediction, confidence}`; both still work. Age, gender,
blood pressure and cholesterol come from the patient's profile unless given here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, field_validator

from models.common import Input, Output

Level = Literal["low", "normal", "high"]
Gender = Literal["male", "female", "other"]


class _Lowercase(Input):
    # The earlier API documented 'Normal', 'High', 'Male': accept any case.
    @field_validator("gender", "blood_pressure", "cholesterol_level", mode="before", check_fields=False)
    @classmethod
    def _lower(cls, v):
        return v.strip().lower() if isinstance(v, str) else v


class Symptoms(_Lowercase):
    fever: StrictBool
    cough: StrictBool
    fatigue: StrictBool
    difficulty_breathing: StrictBool
    blood_pressure: Level | None = None


class SymptomCheckIn(_Lowercase):
    symptoms: Symptoms
    patient_id: str | None = Field(default=None, min_length=1, max_length=64,
                                   description="a doctor names the granted patient; a patient may omit it")
    age: int | None = Field(default=None, ge=0, le=120)
    gender: Gender | None = None
    cholesterol_level: Level | None = None


class Ranked(Output):
    disease: str
    probability: float


class Bilingual(Output):
    fr: str
    en: str


class CvAccuracy(Output):
    mean: float
    std: float
    unseen_profiles_mean: float            # with exact duplicate rows kept on one side of every split
    majority_baseline: float
    scheme: str


class UsedInputs(Output):
    fever: bool
    cough: bool
    fatigue: bool
    difficulty_breathing: bool
    age: int
    gender: Gender
    blood_pressure: Level
    cholesterol_level: Level
    from_profile: list[str]                # which of the four came from the stored profile
    outside_training_range: list[str]      # values the model never saw (extrapolation)


class SymptomCheckOut(Output):
    prediction: str
    confidence: float
    top: list[Ranked]
    model_version: str
    cv_accuracy: CvAccuracy
    inputs: UsedInputs
    disclaimer: Bilingual
