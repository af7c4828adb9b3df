"""Bucketed history and statistics against hand-computed values; rollups outlive raw readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.clock import FakeClock
from server.keys import DB, INGEST
from tests.support.iot import people, provision

NOON = datetime(2026, 1, 1, 12, 10, tzinfo=UTC)
# (time, heart rate): hand-placed around minute, 5-minute and hour boundaries
POINTS = [("11:10:00", 50), ("12:00:10", 60), ("12:00:50", 70), ("12:01:30", 80), ("12:04:59", 90), ("12:05:00", 100)]


@pytest.fixture
def clock():
    return FakeClock(NOON)


async def _load(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    items = [{"seq": i, "ts": f"2026-01-01T{t}Z", "readings": {"heart_rate": v, "spo2": 97}}
             for i, (t, v) in enumerate(POINTS)]
    _status, body = await api.call("POST", "/api/iot/batch", dev["token"], json={"measurements": items})
    assert body["accepted"] == len(POINTS)
    await api.client.app[INGEST].settled()  # rollups are written just after the acknowledgement
    return p


def _rows(points):
    return [(pt["t"][11:19], pt["min"], pt["max"], pt["avg"], pt["count"]) for pt in points]


async def test_buckets_match_hand_computed_values(api):
    p = await _load(api)
    base = f"/api/iot/patients/{p['patient']['id']}/vitals/history?kind=heart_rate&from=2026-01-01T11:00:00Z" \
           "&to=2026-01-01T12:10:00Z&bucket="

    async def get(bucket):
        status, body = await api.call("GET", base + bucket, p["doctor_token"])
        assert status == 200, body
        return _rows(body["points"])

    assert await get("raw") == [(t, v, v, v, 1) for t, v in POINTS]
    assert await get("1m") == [("11:10:00", 50, 50, 50, 1), ("12:00:00", 60, 70, 65, 2), ("12:01:00", 80, 80, 80, 1),
                               ("12:04:00", 90, 90, 90, 1), ("12:05:00", 100, 100, 100, 1)]
    assert await get("5m") == [("11:10:00", 50, 50, 50, 1), ("12:00:00", 60, 90, 75, 4), ("12:05:00", 100, 100, 100, 1)]
    assert await get("1h") == [("11:00:00", 50, 50, 50, 1), ("12:00:00", 60, 100, 80, 5)]
    assert await get("1d") == [("00:00:00", 50, 100, 75, 6)]
    status, stats = await api.call("GET", f"/api/iot/patients/{p['patient']['id']}/vitals/statistics"
                                   "?from=2026-01-01T11:00:00Z&to=2026-01-01T12:10:00Z", p["doctor_token"])
    hr = stats["vitals"]["heart_rate"]
    assert (hr["min"], hr["max"], hr["avg"], hr["count"], hr["unit"], hr["loinc"]) == (50, 100, 75, 6, "/min", "8867-4")
    assert stats["vitals"]["spo2"]["count"] == 6 and stats["source"] == "raw"
    status, body = await api.call("GET", base + "10m", p["doctor_token"])
    assert status == 400
    status, body = await api.call("GET", base.replace("heart_rate", "mood") + "1m", p["doctor_token"])
    assert status == 400 and "kind" in body["error"]["message"]
    status, _body = await api.call("GET", base + "1m", p["stranger_token"])
    assert status == 403


async def test_hourly_rollups_outlive_raw_retention(api, clock):
    p = await _load(api)
    db = api.client.app[DB]
    ttl = [ix for ix in (await db["vitals"].index_information()).values() if "expireAfterSeconds" in ix]
    assert ttl and ttl[0]["expireAfterSeconds"] == 30 * 86400 and ttl[0]["key"] == [("received_at", 1)]
    # 40 days later the TTL monitor has removed the raw readings (done by hand: it runs on the real clock)
    clock.advance(40 * 86400)
    await db["vitals"].delete_many({})
    await db["grants"].update_many({}, {"$set": {"expires_at": clock.now() + timedelta(days=1)}})
    token = (await api.login("doc1"))["access"]
    path = f"/api/iot/patients/{p['patient']['id']}/vitals"
    status, body = await api.call("GET", f"{path}/history?kind=heart_rate&bucket=1h&from=2026-01-01T00:00:00Z"
                                  "&to=2026-01-02T00:00:00Z", token)
    assert status == 200 and _rows(body["points"]) == [("11:00:00", 50, 50, 50, 1), ("12:00:00", 60, 100, 80, 5)]
    _status, stats = await api.call("GET", f"{path}/statistics?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
                                   token)
    assert stats["source"] == "hourly"
    assert {k: stats["vitals"]["heart_rate"][k] for k in ("min", "max", "avg", "count")} == \
        {"min": 50, "max": 100, "avg": 75, "count": 6}
