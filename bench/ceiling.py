"""The database's own one-document-per-reading ceiling, measured in the same run as the ingest.

`ceiling(client, db_pid)`: raw `insert_many` (batches of 200, unordered) of vitals documents shaped
as `models.vitals.build_message` makes them today (`_id` "<device>:<seq>", patient, seq, ts,
received_at, clock_suspect, source, three readings with unit and LOINC), one per reading, into a
scratch database on the same SecantusDB, with today's indexes on `vitals` ((patient_id, ts) and the
`received_at` TTL, besides `_id`), for `seconds`. No server is involved: it is the rate the
one-document-per-reading design (one document and three index entries per reading) cannot pass
whatever the server does, which issue 16 asks durable ingest to beat twice over. It stays this
design's figure when the server's storage changes: it is the baseline, not a copy of the server.
Returns docs/s and the database's CPU µs per document. (Ported from branch `trystor`'s
bench/storage.py, the ceiling only.)
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from pymongo import IndexModel

from bench.common import cpu_seconds

SCRATCH = "bench_ceiling"  # dropped before and after: never the server's own database
RETENTION_S = 30 * 86400   # VITALS_RETENTION_DAYS' default: the TTL value does not change the insert cost


def _doc(seq: int, patients: int, now: datetime) -> dict:
    p = seq % patients
    return {"_id": f"dev-{p}:{seq}", "device_id": f"dev-{p}", "patient_id": f"pat-{p}", "seq": seq,
            "ts": now + timedelta(milliseconds=seq), "received_at": now, "clock_suspect": False,
            "readings": {"heart_rate": {"value": 60.0 + seq % 40, "unit": "/min", "loinc": "8867-4"},
                         "spo2": {"value": 97.0, "unit": "%", "loinc": "59408-5"},
                         "temperature": {"value": 36.8, "unit": "Cel", "loinc": "8310-5"}},
            "source": "bench"}


def ceiling(client, db_pid: int, seconds: float = 4.0, batch: int = 200, patients: int = 200) -> dict:
    """`client`: a pymongo MongoClient on the deployment's database server; `db_pid`: its process."""
    client.drop_database(SCRATCH)
    coll = client[SCRATCH]["vitals"]
    coll.create_indexes([IndexModel([("patient_id", 1), ("ts", 1)]),
                         IndexModel("received_at", expireAfterSeconds=RETENTION_S, name="received_at_ttl")])
    now, n, seq = datetime.now(UTC), 0, 0
    cpu0, t0 = cpu_seconds(db_pid), time.perf_counter()
    try:
        while time.perf_counter() - t0 < seconds:
            docs = [_doc(seq + i, patients, now) for i in range(1, batch + 1)]
            seq += batch
            coll.insert_many(docs, ordered=False)
            n += batch
        wall, cpu = time.perf_counter() - t0, cpu_seconds(db_pid) - cpu0
    finally:
        client.drop_database(SCRATCH)
    return {"docs_per_s": round(n / wall, 1), "db_us_per_doc": round(cpu / n * 1e6, 1), "docs": n}
