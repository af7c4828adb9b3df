"""The two stored shapes of readings, as pure functions: rows, and packs (server.iot.vitals_store).

A group commit's readings are grouped per patient and cut into runs of at most PACK_SPAN of
measurement time (and PACK_MAX readings). A run of one reading is a ROW, the per-reading
document the rest of the code always saw (`_id` "<device_id>:<seq>"). A run of several is a
PACK, one document holding them all:

    {_id: "<commit time yyyymmddThhmmssffffff>|<patient>|<nonce>", patient_id, received_at,
     t: first ts, t1: last ts, n, r: [<the rows' documents minus patient_id>, ...]}

- `_id` starts with the commit time, so retention is a range on the primary key (no TTL
  index paid per pack);
- a reader of readings measured in [a, b) reads packs with `t` in [a - PACK_SPAN, b) (the
  (patient_id, t) index) and `t1` >= a, then filters the readings: `window` and `matches`;
- `unpack` gives back the rows, so publishers, FHIR and history never see a pack.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.common import new_id

PACK_SPAN = timedelta(minutes=10)  # bounds how far back a range reader must look for packs
PACK_MAX = 1000  # readings per pack: SecantusDB's insert_many of big documents slows past ~1,000
_OPS = {"$gte": lambda a, b: a >= b, "$gt": lambda a, b: a > b, "$lte": lambda a, b: a <= b,
        "$lt": lambda a, b: a < b, "$eq": lambda a, b: a == b}


def id_prefix(at: datetime) -> str:
    """The start of the `_id` of packs committed at `at`: pack ids sort by commit time."""
    return at.strftime("%Y%m%dT%H%M%S%f")


def runs(docs: list[dict]) -> list[list[dict]]:
    """Per patient, the readings in measurement order cut into runs of at most PACK_SPAN and
    PACK_MAX: a run of one is stored as a row, a longer one as a pack."""
    by_patient: dict[str, list[dict]] = {}
    for doc in docs:
        by_patient.setdefault(doc["patient_id"], []).append(doc)
    out: list[list[dict]] = []
    for group in by_patient.values():
        group.sort(key=lambda d: (d["ts"], d["_id"]))
        run: list[dict] = []
        for doc in group:
            if run and (doc["ts"] - run[0]["ts"] >= PACK_SPAN or len(run) >= PACK_MAX):
                out.append(run)
                run = []
            run.append(doc)
        out.append(run)
    return out


def pack(run: list[dict], committed_at: datetime) -> dict:
    """One pack of a run (all of one patient, already in measurement order)."""
    pid = run[0]["patient_id"]
    return {"_id": f"{id_prefix(committed_at)}|{pid}|{new_id()[:12]}", "patient_id": pid,
            "received_at": committed_at, "t": run[0]["ts"], "t1": run[-1]["ts"], "n": len(run),
            "r": [{k: v for k, v in d.items() if k != "patient_id"} for d in run]}


def unpack(doc: dict) -> list[dict]:
    """A pack's readings as the rows they were built from."""
    pid = doc.get("patient_id")
    return [{**r, "patient_id": pid} for r in doc.get("r", ())]


def window(ts: dict[str, Any]) -> dict[str, Any]:
    """The filter on packs that may hold readings whose `ts` matches the range `ts`."""
    t: dict[str, datetime] = {}
    t1: dict[str, datetime] = {}
    for op, when in ts.items():
        if op in ("$gte", "$gt"):
            t["$gte"], t1[op] = when - PACK_SPAN, when
        elif op in ("$lt", "$lte"):
            t[op] = when
        elif op == "$eq":
            t["$gte"], t["$lte"], t1["$gte"] = when - PACK_SPAN, when, when
        else:
            raise ValueError(f"unsupported time operator {op}")
    return {"t": t, **({"t1": t1} if t1 else {})}


def matches(ts: datetime, cond: dict[str, Any]) -> bool:
    return all(_OPS[op](ts, when) for op, when in cond.items())


def merged(rows: list[dict], packed: list[dict], cond: dict[str, Any]) -> list[dict]:
    """Rows and the packs' readings matching `cond`, each identity once, in (ts, _id) order.

    An identity can be stored twice only after a crash between a pack and its claims, or when
    two processes store the same reading at the same instant, once alone and once in a batch
    (server.iot.vitals_store): readers show it once, the row (or the first pack) winning."""
    seen = {d["_id"] for d in rows}
    out = list(rows)
    for p in sorted(packed, key=lambda p: p["_id"]):  # first committed first
        for d in unpack(p):
            if d["_id"] not in seen and matches(d["ts"], cond):
                seen.add(d["_id"])
                out.append(d)
    out.sort(key=lambda d: (d["ts"], d["_id"]))
    return out
