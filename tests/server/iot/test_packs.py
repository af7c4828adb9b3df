"""Readings stored as rows and packs (server.iot.vitals_store): exactly once across the two shapes,
crash and race leftovers shown once, history across both, retention of packs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.clock import FakeClock
from server.iot.packs import PACK_SPAN
from server.keys import CLOCK, DB, INGEST
from tests.support.iot import people, provision, stored, stored_count

START = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


@pytest.fixture
def clock():
    return FakeClock(START)


def _docs(dev: dict, patient: str, seqs, at: datetime, step_s: float = 1.0) -> list[dict]:
    """Readings as the ingest builds them (models.vitals.build_message), `step_s` apart."""
    return [{"_id": f"{dev['id']}:{s}", "device_id": dev["id"], "patient_id": patient, "seq": s,
             "ts": at + timedelta(seconds=i * step_s), "received_at": at, "clock_suspect": False, "source": "http",
             "readings": {"heart_rate": {"value": 60.0 + s, "unit": "/min", "loinc": "8867-4"}}}
            for i, s in enumerate(seqs)]


async def _shapes(db) -> tuple[int, int, int]:
    """(rows, packs, claims)."""
    return (await db["vitals"].count_documents({}), await db["vitals_packs"].count_documents({}),
            await db["vitals_seen"].count_documents({}))


async def _world(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    return p, dev, api.client.app[INGEST].store, api.client.app[DB]


async def test_a_lone_reading_is_a_row_and_several_of_a_patient_are_one_pack(api):
    p, dev, store, db = await _world(api)
    pid = p["patient"]["id"]
    assert await store.store(_docs(dev, pid, [1], START)) == set()
    assert await _shapes(db) == (1, 0, 0)
    assert await store.store(_docs(dev, pid, [2, 3, 4, 5], START + timedelta(seconds=5))) == set()
    assert await _shapes(db) == (1, 1, 4)
    # a commit spanning more than PACK_SPAN is cut: two runs of two, one of one
    far = PACK_SPAN.total_seconds() + 1
    assert await store.store(_docs(dev, pid, [6, 7, 8, 9, 10], START + timedelta(hours=1), far / 2)) == set()
    assert await _shapes(db) == (2, 3, 8)
    assert [d["seq"] for d in await stored(db, device_id=dev["id"])] == list(range(1, 11))


async def test_exactly_once_across_rows_and_packs(api):
    p, dev, store, db = await _world(api)
    pid = p["patient"]["id"]
    # live first (rows), then the device replays its buffer with two new readings: only those are stored
    for s in (1, 2, 3):
        assert await store.store(_docs(dev, pid, [s], START + timedelta(seconds=s))) == set()
    replay = _docs(dev, pid, [1, 2, 3, 4, 5], START + timedelta(seconds=1))
    assert await store.store(replay) == {0, 1, 2}
    assert await _shapes(db) == (3, 1, 2)
    # the packed ones sent again alone, and the whole buffer again with one twice in the commit
    assert await store.store(_docs(dev, pid, [4], START + timedelta(seconds=4))) == {0}
    again = replay + replay[:1]
    assert await store.store(again) == set(range(6))
    assert await stored_count(db, device_id=dev["id"]) == 5
    assert await _shapes(db) == (3, 1, 2)


async def test_over_http_a_replayed_buffer_is_stored_once_and_read_back_in_order(api):
    p, dev, _store, db = await _world(api)
    items = [{"seq": s, "ts": f"2026-03-02T12:2{s}:00Z", "readings": {"heart_rate": 60 + s}} for s in range(1, 7)]
    status, body = await api.call("POST", "/api/iot/data", dev["token"], json=items[2])
    assert status in (200, 201), body
    status, body = await api.call("POST", "/api/iot/batch", dev["token"], json={"measurements": items})
    assert status == 200 and [r["status"] for r in body["results"]] == ["accepted"] * 2 + ["duplicate"] + \
        ["accepted"] * 3
    status, body = await api.call("POST", "/api/iot/batch", dev["token"], json={"measurements": items})
    assert [r["status"] for r in body["results"]] == ["duplicate"] * 6
    await api.client.app[INGEST].settled()
    status, hist = await api.call("GET", f"/api/iot/patients/{p['patient']['id']}/vitals/history?kind=heart_rate"
                                  "&bucket=raw&from=2026-03-02T12:00:00Z&to=2026-03-02T12:30:00Z", p["patient_token"])
    assert status == 200 and [pt["avg"] for pt in hist["points"]] == [61, 62, 63, 64, 65, 66]
    assert await stored_count(db, device_id=dev["id"]) == 6


async def test_what_another_process_stored_meanwhile_is_pulled_out_of_the_pack(api):
    p, dev, store, db = await _world(api)
    docs = _docs(dev, p["patient"]["id"], [1, 2, 3, 4], START)
    # between this commit's look-up and its writes, another process stored seq 2 alone and claimed seq 3
    await db["vitals"].insert_one(dict(docs[1], received_at=START - timedelta(seconds=1)))
    await db["vitals_seen"].insert_one({"_id": docs[2]["_id"]})
    pack = {"_id": "20260302T123000000000|x|race", "patient_id": p["patient"]["id"], "received_at": START,
            "t": START, "t1": docs[-1]["ts"], "n": 4, "r": [{k: v for k, v in d.items() if k != "patient_id"}
                                                             for d in docs]}
    lost = await store._insert_packs([pack])
    assert lost == {docs[1]["_id"], docs[2]["_id"]}
    (left,) = await db["vitals_packs"].find({}).to_list(None)
    assert [r["seq"] for r in left["r"]] == [1, 4] and left["n"] == 2
    assert sorted(c["_id"] for c in await db["vitals_seen"].find({}).to_list(None)) == \
        sorted([docs[0]["_id"], docs[2]["_id"], docs[3]["_id"]])  # the row's claim went, the rival's stays
    assert [d["seq"] for d in await stored(db, device_id=dev["id"])] == [1, 2, 4]


async def test_a_pack_left_unclaimed_by_a_crash_is_stored_again_and_shown_once(api):
    p, dev, store, db = await _world(api)
    pid = p["patient"]["id"]
    docs = _docs(dev, pid, [1, 2, 3], START)
    # the crash: the pack was written, its claims were not, the devices were never acknowledged
    orphan = {"_id": "20260302T122959000000|x|crash", "patient_id": pid, "received_at": START, "t": START,
              "t1": docs[-1]["ts"], "n": 3, "r": [{k: v for k, v in d.items() if k != "patient_id"} for d in docs]}
    await db["vitals_packs"].insert_one(orphan)
    assert await store.store(docs) == set()  # the device's retry
    assert await store.store(docs) == {0, 1, 2}
    found = await api.client.app[INGEST].db["vitals_packs"].count_documents({})
    assert found == 2  # both copies are there...
    status, hist = await api.call("GET", f"/api/iot/patients/{pid}/vitals/history?kind=heart_rate"
                                  "&bucket=raw&from=2026-03-02T12:00:00Z&to=2026-03-02T13:00:00Z", p["patient_token"])
    assert [pt["avg"] for pt in hist["points"]] == [61, 62, 63]  # ...and each reading is shown once
    status, stats = await api.call("GET", f"/api/iot/patients/{pid}/vitals/statistics?from=2026-03-02T12:00:00Z"
                                   "&to=2026-03-02T13:00:00Z", p["patient_token"])
    assert status == 200 and stats["vitals"]["heart_rate"]["count"] == 3


async def test_raw_pages_and_minute_bins_cross_rows_and_packs(api):
    p, dev, store, db = await _world(api)
    pid = p["patient"]["id"]
    for s in (1, 4, 7):  # rows at 12:30:01, :04, :07; packs fill the seconds between
        await store.store(_docs(dev, pid, [s], START + timedelta(seconds=s)))
    await store.store(_docs(dev, pid, [2, 3], START + timedelta(seconds=2)))
    later = _docs(dev, pid, [8, 9], START + timedelta(seconds=68))
    await store.store(_docs(dev, pid, [5, 6], START + timedelta(seconds=5)) + later)
    assert await _shapes(db) == (3, 2, 6)  # 8 and 9 are a minute later but within PACK_SPAN: one pack with 5, 6
    base = (f"/api/iot/patients/{pid}/vitals/history?kind=heart_rate&from=2026-03-02T12:00:00Z"
            "&to=2026-03-02T13:00:00Z&bucket=")
    seen, cursor = [], None
    for _ in range(5):
        status, body = await api.call("GET", base + "raw&limit=3" + (f"&cursor={cursor}" if cursor else ""),
                                      p["patient_token"])
        assert status == 200, body
        seen += [pt["avg"] for pt in body["points"]]
        cursor = body.get("next")
        if not cursor:
            break
    assert seen == [60.0 + s for s in range(1, 10)]
    status, body = await api.call("GET", base + "1m", p["patient_token"])
    assert [(pt["t"][11:19], pt["min"], pt["max"], pt["count"]) for pt in body["points"]] == \
        [("12:30:00", 61, 67, 7), ("12:31:00", 68, 69, 2)]


async def test_packs_go_after_the_retention_period_with_their_claims(api, app):
    p, dev, store, db = await _world(api)
    pid = p["patient"]["id"]
    await store.store(_docs(dev, pid, [1, 2, 3], START))
    await store.store(_docs(dev, pid, [4], START))
    app[CLOCK].advance(29 * 86400)
    assert await store.purge_expired(timedelta(days=30)) == 0
    app[CLOCK].advance(2 * 86400)
    assert await store.purge_expired(timedelta(days=30)) == 3
    assert await _shapes(db) == (1, 0, 0)  # the row goes by its TTL index (the database's own clock)
