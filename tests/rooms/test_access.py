"""The access rule: own data, or an active grant with the scope, and nothing else."""

from __future__ import annotations

from datetime import timedelta

from models.documents import GRANTS
from models.identity import Identity
from rooms.access import may_access
from server.clock import FakeClock
from server.keys import DB


def who(user_id: str, role: str) -> Identity:
    return Identity(user_id, role, "jti", "fam", 0)


async def test_grant_scope_expiry_and_revocation(client):
    db, clock = client.app[DB], FakeClock()
    await db[GRANTS].insert_one({"_id": "g1", "doctor_id": "d1", "patient_id": "p1", "scopes": ["vitals"],
                                 "expires_at": clock.now() + timedelta(days=1), "revoked_at": None})
    doctor = who("d1", "doctor")
    assert await may_access(db, clock, who("p1", "patient"), "p1", "records")
    assert not await may_access(db, clock, who("p2", "patient"), "p1", "vitals")
    assert await may_access(db, clock, doctor, "p1", "vitals")
    assert not await may_access(db, clock, doctor, "p1", "records")
    assert not await may_access(db, clock, who("d2", "doctor"), "p1", "vitals")
    for role in ("pharmacist", "admin"):
        assert not await may_access(db, clock, who("x", role), "p1", "vitals")
    clock.advance(86401)
    assert not await may_access(db, clock, doctor, "p1", "vitals")
    clock.advance(-86401)
    await db[GRANTS].update_one({"_id": "g1"}, {"$set": {"revoked_at": clock.now()}})
    assert not await may_access(db, clock, doctor, "p1", "vitals")
