"""Treatments from a delivered prescription: its free-text `frequency` and `duration`, read leniently.

A prescription's medication says e.g. `frequency: "3 fois par jour"`, `duration: "7 jours"`. The
first whole number of `frequency` is the intakes per day (1–24); `duration` is a number with an
optional unit (days by default; j/jour(s)/d/day(s), sem/semaine(s)/w/week(s), mois/month(s) = 30
days), 1–365 days. A medication either field of which cannot be read this way gets no treatment
(logged): a guessed dose schedule would be worse than none; the patient or doctor adds it by hand.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(\d+)")
_DURATION = re.compile(r"(\d+)\s*([a-zA-Zéû]*)")
_UNITS = {"": 1, "j": 1, "jour": 1, "jours": 1, "d": 1, "day": 1, "days": 1,
          "sem": 7, "semaine": 7, "semaines": 7, "w": 7, "week": 7, "weeks": 7,
          "mois": 30, "month": 30, "months": 30}


def per_day(text: str) -> int | None:
    match = _NUMBER.search(text or "")
    value = int(match.group(1)) if match else 0
    return value if 1 <= value <= 24 else None


def days(text: str) -> int | None:
    match = _DURATION.search(text or "")
    if not match or match.group(2).lower() not in _UNITS:
        return None
    value = int(match.group(1)) * _UNITS[match.group(2).lower()]
    return value if 1 <= value <= 365 else None


def courses(prescription: dict) -> list[dict]:
    """`{medocs_name, frequency, duration_days}` for each medication that can be scheduled."""
    out = []
    for med in prescription.get("medications", []):
        frequency, duration = per_day(med.get("frequency", "")), days(med.get("duration", ""))
        if frequency and duration:
            out.append({"medocs_name": med["name"], "frequency": frequency, "duration_days": duration})
    return out
