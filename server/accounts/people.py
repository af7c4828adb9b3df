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
