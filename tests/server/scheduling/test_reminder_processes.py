"""Two real server processes on one database both run the reminder loop: each reminder is sent once.

End to end (the loop is wired, reminders reach the inbox, none twice). Two processes ticking every
second rarely race for the same document, so this test alone would not catch a non-atomic claim:
the in-process tests that run passes of two apps at once do (test_appointments, test_treatments).
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from pymongo import MongoClient

from tests.support.processes import Proc, free_port, mint_token


@pytest.fixture
def two_servers(mongo_uri, db_name, tmp_path):
    secret = secrets.token_urlsafe(48)
    # Reminders 58 s ahead, claimed every second by each process.
    env = {"MONGODB_URI": mongo_uri, "MONGODB_DB": db_name, "JWT_SECRET": secret, "HOST": "127.0.0.1",
           "LOG_LEVEL": "WARNING", "REMINDER_TICK_S": "1", "APPOINTMENT_REMINDER_S": "58"}
    procs = []
    try:
        for name in ("a", "b"):
            port = free_port()
            procs.append(Proc(f"server-{name}", [sys.executable, "-m", "server"], port=port, workdir=tmp_path,
                              env={**env, "PORT": str(port), "DATA_DIR": str(tmp_path / name)}).start())
        yield procs[0].url, procs[1].url, secret, MongoClient(mongo_uri)[db_name]
    finally:
        for p in procs:
            p.stop()


async def call(url: str, token: str, path: str, body: dict) -> dict:
    async with aiohttp.ClientSession() as s, s.post(url + path, json=body,
                                                    headers={"Authorization": f"Bearer {token}"}) as r:
        answer = await r.json()
        assert r.status == 201, answer
        return answer


async def test_appointment_reminder_once_with_two_processes(two_servers):
    a, b, secret, db = two_servers
    now = datetime.now(UTC)
    db["users"].insert_many([
        {"_id": uid, "username": uid, "username_lower": uid, "password_hash": "!", "role": role, "email": None,
         "first_name": "", "last_name": "", "profile": {"speciality": "cardiology"} if role == "doctor" else {},
         "is_active": True, "created_at": now}
        for uid, role in (("pat-1", "patient"), *((f"doc-{i}", "doctor") for i in range(10)))])
    # Ten appointments whose reminders fall due together (about 12 s from now, time enough to book
    # them on a loaded machine), so both processes' passes find the same candidates and race for
    # each: ten doctors, one slot each at the same time, all booked by one patient.
    start = now + timedelta(seconds=70)
    for i in range(10):
        slot = await call(a, mint_token(secret, f"doc-{i}", "doctor"), "/api/slots/",
                          {"start": start.isoformat(), "end": (start + timedelta(minutes=20)).isoformat()})
        await call(b, mint_token(secret, "pat-1", "patient"), "/api/slots/reserve/",
                   {"slot_id": slot["id"], "doctor_id": f"doc-{i}"})

    def reminders() -> list[dict]:
        return list(db["notifications"].find({"type": "appointment:reminder"}))

    for _ in range(400):  # up to 40 s on a loaded machine
        if len(reminders()) >= 20:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(3)  # three more ticks of both processes
    got = reminders()
    assert sorted(n["user_id"] for n in got) == [f"doc-{i}" for i in range(10)] + ["pat-1"] * 10
    assert len({(n["user_id"], n["link"]["id"]) for n in got}) == 20  # one per appointment and person
    assert db["appointments"].count_documents({"reminded_at": {"$ne": None}}) == 10
