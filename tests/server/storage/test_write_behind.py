"""Derived state written behind the acknowledgement: merged per document, flushed together,
read back by this process before the flush, and kept across a restart of the server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.app import create_app
from server.keys import DB, INGEST, VITALS_HISTORY, WRITE_BEHIND
from server.storage.write_behind import apply, merge
from tests.support.alerting import NORMAL, START, alerting_settings, alerts_of, cast, feed

pytestmark = pytest.mark.ward


@pytest.fixture
def settings(settings):
    # A flush interval far beyond the test: only explicit flushes (settled, shutdown) write.
    return alerting_settings(settings, derived_flush_ms=10_000)


def test_merged_update_equals_the_updates_applied_in_order():
    first = {"$set": {"a": 1, "b": 1}, "$inc": {"n": 2}, "$min": {"lo": 5}, "$max": {"hi": 5},
             "$setOnInsert": {"made": "first"}}
    second = {"$set": {"a": 2}, "$inc": {"n": 3}, "$min": {"lo": 7}, "$max": {"hi": 9},
              "$setOnInsert": {"made": "second"}, "$unset": {"b": ""}}
    third = {"$set": {"b": 3}}
    stored = {"_id": "x", "n": 10, "lo": 6, "hi": 1}
    one_by_one = apply(apply(apply(stored, "x", first), "x", second), "x", third)
    assert apply(stored, "x", merge(merge(first, second), third)) == one_by_one == {
        "_id": "x", "a": 2, "b": 3, "n": 15, "lo": 5, "hi": 9}
    assert apply(None, "y", merge(first, second))["made"] == "first"  # only the insert sets it


async def test_staged_writes_are_one_statement_per_document_and_guarded_by_only_if(client, app):
    derived, db = app[WRITE_BEHIND], app[DB]
    await db["alerts_test"].insert_one({"_id": "closed", "open": False, "count": 1})
    for i in range(50):
        derived.stage("rollup_test", "p1", {"$inc": {"count": 1}, "$max": {"hi": i}})
        derived.stage("alerts_test", "closed", {"$inc": {"count": 1}}, only_if={"open": True})
    assert derived.overlay("rollup_test", "p1", None) == {"_id": "p1", "count": 50, "hi": 49}
    assert await derived.flush() == 2
    assert await db["rollup_test"].find_one({"_id": "p1"}) == {"_id": "p1", "count": 50, "hi": 49}
    # closed meanwhile: the staged repeat must not touch it (nor create one)
    assert await db["alerts_test"].find_one({"_id": "closed"}) == {"_id": "closed", "open": False, "count": 1}
    assert await derived.flush() == 0


async def test_latest_values_and_hourly_history_are_read_back_before_the_flush(api, app):
    people = await cast(api)
    device, pid, ingest, db = people["device"], people["pid"], app[INGEST], app[DB]
    for seq, hr in enumerate((70, 90, 80), start=1):
        ack = await ingest.submit(device, {"seq": seq, "ts": START.timestamp() + seq,
                                           "readings": {**NORMAL, "heart_rate": hr}}, "test")
        assert ack["status"] == "accepted"
    history = app[VITALS_HISTORY].history
    for _ in range(250):  # the rollups are folded in just after the acknowledgements
        rows, _ = await history(pid, "heart_rate", "1h", START - timedelta(hours=1), START + timedelta(hours=1))
        if rows and rows[0]["count"] == 3:
            break
        await asyncio.sleep(0.02)
    assert [(r["min"], r["max"], r["count"]) for r in rows] == [(70, 90, 3)]
    assert (await ingest.latest(pid))["heart_rate"]["value"] == 80
    assert await db["vitals_latest"].find_one({"_id": pid}) is None  # not flushed yet
    assert await db["vitals_hours"].count_documents({}) == 0
    await app[WRITE_BEHIND].flush()
    assert (await db["vitals_latest"].find_one({"_id": pid}))["readings"]["heart_rate"]["value"] == 80


async def test_a_rule_half_way_to_firing_continues_after_a_restart(aiohttp_client, settings, clock, api, app):
    people = await cast(api)
    high = {**NORMAL, "heart_rate": 140}
    await feed(app, people["device"], high, times=8)
    assert await alerts_of(app, people["pid"]) == []
    await api.client.close()  # the first server stops: its derived state is flushed on the way out
    second = create_app(settings, clock)
    await aiohttp_client(second)
    await feed(second, people["device"], high, times=6)  # 6 alone would not be enough
    assert "heart_rate_high" in [d["type"] for d in await alerts_of(second, people["pid"])]


async def test_a_flush_goes_in_chunks_and_a_failed_chunk_is_retried_without_counting_twice(client, app, monkeypatch):
    """Chunks of FLUSH_CHUNK statements, each its own transaction, so the group commits get in between;
    when one fails (the database away), what was written stays written and the rest is retried once."""
    from server.storage import write_behind

    derived, db = app[WRITE_BEHIND], app[DB]
    monkeypatch.setattr(write_behind, "FLUSH_CHUNK", 10)
    for i in range(25):
        derived.stage("chunk_test", f"d{i:02}", {"$inc": {"n": 1}})
    real, calls = derived._write, []

    async def failing_second(batch, only_if):
        calls.append(sum(map(len, batch.values())))
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        await real(batch, only_if)

    monkeypatch.setattr(derived, "_write", failing_second)
    assert await derived.flush() == 10 and calls == [10, 10]
    assert await db["chunk_test"].count_documents({}) == 10
    derived.stage("chunk_test", "d00", {"$inc": {"n": 1}})  # staged meanwhile: merged with nothing lost
    assert await derived.flush() == 16 and calls == [10, 10, 10, 6]
    counts = {d["_id"]: d["n"] async for d in db["chunk_test"].find({})}
    assert counts == {f"d{i:02}": 2 if i == 0 else 1 for i in range(25)}


def test_a_flush_that_wrote_more_than_the_statement_budget_waits_longer():
    """DERIVED_STATEMENTS_PER_S: a fleet's flushes slow down (and merge more) instead of saturating
    the database; a small deployment keeps DERIVED_FLUSH_MS."""
    from server.storage.write_behind import WriteBehind

    budgeted = WriteBehind(None, 1.0, 1000)
    assert [budgeted.next_wait(n) for n in (0, 800, 1000, 20_000)] == [1.0, 1.0, 1.0, 20.0]
    assert WriteBehind(None, 1.0).next_wait(20_000) == 1.0
