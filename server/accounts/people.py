"""Small look-ups shared by the care services: who is this user, is this id a patient."""

from __future__ import annotations

from models.errors import NotFound
from server.storage.db import Database


async def require_patient(db: Database, patient_id: str) -> dict:
    doc = await db["users"].find_one({"_id": patient_id, "role": "patient"}, {"password_hash": 0})
    if doc is None:
        raise NotFound("No such patient", code="patient_not_found")
    return doc


async def display_name(db: Database, user_id: str) -> str:
    doc = await db["users"].find_one({"_id": user_id}, {"first_name": 1, "last_name": 1, "username": 1})
    if doc is None:
        return "?"
    full = f"{doc.get('first_name', '')} {doc.get('last_name', '')}".strip()
    return full or doc["username"]


async def active_ids(db: Database, role: str) -> list[str]:
    docs = await db["users"].find({"role": role, "is_active": True}, {"_id": 1}).to_list(None)
    return [d["_id"] for d in docs]


# -- scheduling and treatments: names, specialities and time zones ---------------------
async def people(db: Database, ids: list[str]) -> dict[str, dict]:
    """{id: {id, name, speciality}} for the given users (one query, for listings)."""
    docs = await db["users"].find({"_id": {"$in": list(dict.fromkeys(ids))}},
                                  {"first_name": 1, "last_name": 1, "username": 1, "profile": 1}).to_list(None)
    return {d["_id"]: {"id": d["_id"], "name": f"{d.get('first_name', '')} {d.get('last_name', '')}".strip()
                       or d["username"], "speciality": (d.get("profile") or {}).get("speciality")} for d in docs}


async def doctor_ids(db: Database, speciality: str | None = None) -> list[str]:
    """Active doctors, optionally of one speciality (whole, case-insensitive)."""
    docs = await db["users"].find({"role": "doctor", "is_active": True}, {"profile": 1}).to_list(None)
    want = speciality.casefold() if speciality else None
    return [d["_id"] for d in docs
            if want is None or str((d.get("profile") or {}).get("speciality", "")).casefold() == want]


async def timezone_of(db: Database, user_id: str, default: str) -> str:
    """The user's time zone (profile `timezone`, IANA name), else `default` (DEFAULT_TIMEZONE)."""
    doc = await db["users"].find_one({"_id": user_id}, {"profile.timezone": 1})
    return ((doc or {}).get("profile") or {}).get("timezone") or default
