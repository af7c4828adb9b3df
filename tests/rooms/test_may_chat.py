"""Who may talk to whom: a care relation between a doctor and a patient, or a doctor and a
pharmacist about one open prescription; it ends with the grant, the unit membership, the prescription."""

from __future__ import annotations

from datetime import timedelta

from models.documents import CARE_UNITS, GRANTS, PRESCRIPTIONS
from rooms.access import may_chat
from server.clock import FakeClock
from server.keys import DB


async def test_relations_and_their_end(client):
    db, clock = client.app[DB], FakeClock()
    dp = {"d1": "doctor", "p1": "patient"}
    assert await may_chat(db, clock, dp, None) is None
    await db[GRANTS].insert_one({"_id": "g1", "doctor_id": "d1", "patient_id": "p1", "scopes": ["records"],
                                 "expires_at": clock.now() + timedelta(days=1), "revoked_at": None})
    assert await may_chat(db, clock, dp, None) == "grant"
    clock.advance(86401)  # the grant expired
    assert await may_chat(db, clock, dp, None) is None
    await db[CARE_UNITS].insert_one({"_id": "u1", "staff_ids": ["d1"], "patient_ids": ["p1"]})
    assert await may_chat(db, clock, dp, None) == "care_unit"
    await db[CARE_UNITS].update_one({"_id": "u1"}, {"$pull": {"patient_ids": "p1"}})
    await db[PRESCRIPTIONS].insert_one({"_id": "rx1", "doctor_id": "d1", "patient_id": "p1", "status": "ready"})
    assert await may_chat(db, clock, dp, None) == "prescription"
    dph = {"d1": "doctor", "ph": "pharmacist"}
    assert await may_chat(db, clock, dph, "rx1") == "prescription"
    assert await may_chat(db, clock, dph, None) is None  # a pharmacist talks about a prescription
    assert await may_chat(db, clock, {"d2": "doctor", "ph": "pharmacist"}, "rx1") is None  # not d2's
    assert await may_chat(db, clock, {"p1": "patient", "ph": "pharmacist"}, "rx1") is None
    await db[PRESCRIPTIONS].update_one({"_id": "rx1"}, {"$set": {"status": "delivered"}})
    assert await may_chat(db, clock, dph, "rx1") is None
    assert await may_chat(db, clock, dp, None) is None
    for pair in ({"p1": "patient", "p2": "patient"}, {"d1": "doctor", "d2": "doctor"},
                 {"a": "admin", "p1": "patient"}, {"d1": "doctor"}):
        assert await may_chat(db, clock, pair, None) is None
