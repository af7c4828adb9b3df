"""Room names. Built here and nowhere else, so a typo cannot leak events to a wrong room."""

from __future__ import annotations


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def role_room(role: str) -> str:
    return f"role:{role}"


def patient_room(patient_id: str) -> str:
    return f"patient:{patient_id}"


def unit_room(unit_id: str) -> str:
    return f"unit:{unit_id}"


def session_room(family: str) -> str:
    """Every socket connected with a token of one login session (token family)."""
    return f"session:{family}"

