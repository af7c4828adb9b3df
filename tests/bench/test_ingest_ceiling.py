"""bench ingest's accounting: stored readings whatever the storage layout, the ceiling, the targets."""

from __future__ import annotations

import os

from pymongo import MongoClient

from bench.b_ingest import _ceiling, _targets
from bench.ceiling import SCRATCH, ceiling
from bench.common import stored_readings


def test_stored_readings_count_rows_and_packed_claims(mongo_uri, db_name):
    with MongoClient(mongo_uri) as client:
        db = client[db_name]
        assert stored_readings(db) == 0  # neither collection exists yet
        db["vitals"].insert_many([{"_id": f"dev-1:{i}", "seq": i} for i in range(7)])
        assert stored_readings(db) == 7
        # 5 readings stored packed in 2 documents: the packs are not counted, their 5 claims are
        db["vitals_packs"].insert_many([{"_id": "p1", "n": 3}, {"_id": "p2", "n": 2}])
        db["vitals_seen"].insert_many([{"_id": f"dev-2:{i}"} for i in range(5)])
        assert stored_readings(db) == 12
        db["vitals"].delete_many({"seq": {"$lt": 2}})  # retention
        assert stored_readings(db) == 10


def test_the_ceiling_inserts_whole_batches_and_leaves_nothing_behind(mongo_uri, db_name):
    with MongoClient(mongo_uri, tz_aware=True) as client:
        client[db_name]["vitals"].insert_one({"_id": "dev-1:1"})
        result = ceiling(client, os.getpid(), seconds=0.3, batch=50)
        assert result["docs"] > 0 and result["docs"] % 50 == 0
        assert result["docs_per_s"] > 0
        assert SCRATCH not in client.list_database_names()
        assert stored_readings(client[db_name]) == 1  # the server's database is not touched


def row(transport: str, stored: float, accepted: float | None = None) -> dict:
    return {"transport": transport, "stored_per_s": stored,
            "messages_per_s": stored if accepted is None else accepted}


def test_targets_take_the_best_device_transport_against_the_ceiling():
    rows = [row("socket.io vitals:send", 9_000.0), row("http batch x50 (latency per batch)", 6_000.0),
            row("mqtt qos1 (latency = broker PUBACK)", 5_500.0, accepted=9_000.0)]
    notes: list[str] = []
    ceil = _ceiling(rows, [{"docs_per_s": 2_900.0, "db_us_per_doc": 300.0},
                           {"docs_per_s": 3_100.0, "db_us_per_doc": 310.0}], notes)
    assert ceil == 3_000.0 and [r["x_ceiling"] for r in rows] == [3.0, 2.0, 1.83]
    assert "2,900 docs/s" in notes[0] and "3,100 docs/s" in notes[0]
    vs_ceiling, rate, mqtt = _targets(rows, ceil)
    assert "(http batch x50)" in vs_ceiling["what"]  # Socket.IO is not a device transport for these targets
    assert "3,000 docs/s" in vs_ceiling["what"]
    assert (vs_ceiling["target"], vs_ceiling["measured"], vs_ceiling["met"]) == (">= 2x", "2.0x", True)
    assert (rate["measured"], rate["met"]) == ("6,000", True)
    assert mqtt["what"].startswith("mqtt stored rate")
    assert (mqtt["measured"], mqtt["met"]) == ("0.61", False)


def test_targets_missed_below_twice_the_ceiling_and_5000():
    rows = [row("http batch x50 (latency per batch)", 4_000.0)]
    ceil = _ceiling(rows, [{"docs_per_s": 2_500.0, "db_us_per_doc": 300.0}], [])
    assert [(t["measured"], t["met"]) for t in _targets(rows, ceil)] == [("1.6x", False), ("4,000", False)]
