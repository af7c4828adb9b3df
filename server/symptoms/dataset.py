"""The training data and the one feature encoding shared by training and prediction.

The CSV is the public "Disease Symptom and Patient Profile Dataset" (provenance in
training_data/README.md). Columns: Disease, Fever, Cough, Fatigue, Difficulty_Breathing
(Yes/No), Age, Gender (Male/Female), Blood_Pressure, Cholesterol_Level (Low/Normal/High),
Outcome_Variable. Outcome_Variable is not a feature: a user asking the checker has no
test result yet.

Encoding (8 numbers, in FEATURES order): the four symptoms as 0/1, age in years,
gender as 1 for male and 0 for female, blood pressure and cholesterol as ordinals
low=0, normal=1, high=2 (they are ordered levels, so one column each keeps the trees small).
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_FILE = Path(__file__).parent / "training_data" / "disease_symptom_patient_profile.csv"
SYMPTOMS = ("fever", "cough", "fatigue", "difficulty_breathing")
FEATURES = (*SYMPTOMS, "age", "gender_male", "blood_pressure", "cholesterol_level")
LEVELS = {"low": 0, "normal": 1, "high": 2}
GENDERS = {"male": 1, "female": 0}
_YES_NO = {"yes": 1, "no": 0}
_COLUMNS = ("Disease", "Fever", "Cough", "Fatigue", "Difficulty_Breathing", "Age", "Gender",
            "Blood_Pressure", "Cholesterol_Level")


def encode(*, fever: bool, cough: bool, fatigue: bool, difficulty_breathing: bool, age: int,
           gender: str, blood_pressure: str, cholesterol_level: str) -> list[float]:
    """One feature row; `gender` must be "male" or "female" (the only values in the data)."""
    return [float(fever), float(cough), float(fatigue), float(difficulty_breathing), float(age),
            float(GENDERS[gender]), float(LEVELS[blood_pressure]), float(LEVELS[cholesterol_level])]


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray            # (rows, len(FEATURES)) float64
    y: np.ndarray            # disease names
    sha256: str              # of the CSV file as read
    source: str              # file name, for the card

    @property
    def support(self) -> Counter:
        return Counter(self.y.tolist())

    def age_range(self) -> tuple[int, int]:
        ages = self.X[:, FEATURES.index("age")]
        return int(ages.min()), int(ages.max())

    def restricted_to(self, min_rows: int) -> Dataset:
        """Only the rows of diseases with at least `min_rows` rows."""
        support = self.support
        keep = np.array([support[label] >= min_rows for label in self.y.tolist()], dtype=bool)
        return Dataset(self.X[keep], self.y[keep], self.sha256, self.source)

    def duplicate_rows(self) -> int:
        """Rows whose features and disease repeat an earlier row (they make CV optimistic)."""
        seen = Counter((tuple(x), label) for x, label in zip(self.X.tolist(), self.y.tolist(), strict=True))
        return sum(n - 1 for n in seen.values())


def _row(raw: dict[str, str], line: int) -> tuple[list[float], str]:
    try:
        values = {k: raw[k].strip() for k in _COLUMNS}
        return encode(
            fever=bool(_YES_NO[values["Fever"].lower()]), cough=bool(_YES_NO[values["Cough"].lower()]),
            fatigue=bool(_YES_NO[values["Fatigue"].lower()]),
            difficulty_breathing=bool(_YES_NO[values["Difficulty_Breathing"].lower()]),
            age=int(values["Age"]), gender=values["Gender"].lower(),
            blood_pressure=values["Blood_Pressure"].lower(),
            cholesterol_level=values["Cholesterol_Level"].lower(),
        ), values["Disease"]
    except (KeyError, ValueError, AttributeError) as exc:
        raise ValueError(f"{DATA_FILE.name} line {line}: unexpected value ({exc})") from None


def load(path: Path = DATA_FILE) -> Dataset:
    """Read and encode the CSV; any unexpected value stops training with its line number."""
    raw = path.read_bytes()
    reader = csv.DictReader(raw.decode("utf-8").splitlines())
    rows = [_row(r, i) for i, r in enumerate(reader, start=2)]
    if not rows:
        raise ValueError(f"{path} has no rows")
    X = np.array([r[0] for r in rows], dtype=np.float64)
    y = np.array([r[1] for r in rows], dtype=str)
    return Dataset(X, y, hashlib.sha256(raw).hexdigest(), path.name)
