"""Derived state written behind the acknowledgement: merged per document, flushed together.

A reading is durable when its device gets the acknowledgement (the group commit in
server.iot.ingest). What is *derived* from readings (latest values, hourly rollups, rule states,
the latest NEWS2) changes with every reading, but only its newest value matters. SecantusDB
pays ~0.5 ms per update statement (200 upserts: 171 ms; an insert_many of 200: 30 ms), and a
dozen statements per patient per batch held ingest at ~540 messages/s with the database at
108 % CPU. So derived writes are staged here, merged per document (`$set` newest wins, `$inc`
adds, `$min`/`$max` keep the extreme, `$unset` removes), and written every DERIVED_FLUSH_MS:
one `bulk_write` per collection, in transactions of at most FLUSH_CHUNK statements when the
server supports them (half the cost per statement on SecantusDB; each chunk is applied whole or
not at all, and the group commits get in between chunks). The number
of statements then follows the number of patients, not the message rate.

The flush waits longer than DERIVED_FLUSH_MS when the last one wrote more than
DERIVED_STATEMENTS_PER_S allows for that time (`next_wait`): a large fleet then gets fewer,
more merged statements instead of a database saturated by them.

The price, stated in the README: if the server process dies, up to DERIVED_FLUSH_MS (or the
longer wait above) of derived state is lost (raw readings and alerts are not): a rule's duration restarts counting, an
hourly rollup misses those seconds. Readers in this process see staged values through
`overlay()` or their owners' caches.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from typing import Any

import pymongo
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, OperationFailure

from server.storage.db import Database

log = logging.getLogger(__name__)

Update = dict[str, dict[str, Any]]
FLUSH_TIMEOUT_S = 5.0
# Statements per transaction: a flush of every patient's derived state in ONE transaction held
# SecantusDB for hundreds of ms each DERIVED_FLUSH_MS, and every group commit arriving meanwhile
# waited behind it (ack p99 ~0.5-0.9 s at any offered rate, bench sweep). Chunks let the commits in
# between; each chunk is still applied whole or not at all (derived documents are independent).
FLUSH_CHUNK = 100
NOT_A_REPLICA_SET = 20  # IllegalOperation: "Transaction numbers are only allowed on a replica set member"


def merge(older: Update, newer: Update) -> Update:
    """One update equivalent to applying `older` then `newer` (for the operators we stage)."""
    out: Update = {op: dict(fields) for op, fields in older.items()}
    for op, fields in newer.items():
        have = out.setdefault(op, {})
        for path, value in fields.items():
            if op == "$inc" and path in have:
                have[path] += value
            elif op == "$min" and path in have:
                have[path] = min(have[path], value)
            elif op == "$max" and path in have:
                have[path] = max(have[path], value)
            elif op == "$setOnInsert" and path in have:
                continue
            else:
                have[path] = value
            # A later $set undoes an earlier $unset of the same field, and the other way round.
            other = {"$set": "$unset", "$unset": "$set"}.get(op)
            if other and path in out.get(other, {}):
                del out[other][path]
    return {op: fields for op, fields in out.items() if fields}


def _chunks(batch: dict[str, dict[str, Update]], size: int) -> list[dict[str, dict[str, Update]]]:
    """`batch` cut into pieces of at most `size` statements, in order."""
    out: list[dict[str, dict[str, Update]]] = [{}]
    n = 0
    for coll, docs in batch.items():
        for _id, update in docs.items():
            if n == size:
                out.append({})
                n = 0
            out[-1].setdefault(coll, {})[_id] = update
            n += 1
    return out


def apply(doc: dict | None, _id: str, update: Update) -> dict:
    """`doc` (None: not stored yet) as it will be once `update` is written (read-your-writes)."""
    inserting = doc is None
    out = copy.deepcopy(doc) if doc is not None else {"_id": _id}
    for op, fields in update.items():
        for path, value in fields.items():
            *parents, leaf = path.split(".")
            node = out
            for part in parents:
                node = node.setdefault(part, {})
            if op == "$unset":
                node.pop(leaf, None)
            elif op == "$inc":
                node[leaf] = node.get(leaf, 0) + value
            elif op == "$min":
                node[leaf] = value if leaf not in node else min(node[leaf], value)
            elif op == "$max":
                node[leaf] = value if leaf not in node else max(node[leaf], value)
            elif op == "$setOnInsert":
                if inserting:
                    node[leaf] = value
            else:
                node[leaf] = value
    return out


class WriteBehind:
    def __init__(self, db: Database, interval_s: float, statements_per_s: float | None = None) -> None:
        self.db, self.interval_s, self.statements_per_s = db, interval_s, statements_per_s
        self._pending: dict[str, dict[str, Update]] = {}
        self._only_if: dict[tuple[str, str], dict] = {}
        self._lock = asyncio.Lock()
        self.transactions: bool | None = None  # None: not tried yet
        self.flushes = self.statements = 0

    def depth(self) -> int:
        """Documents waiting for the next flush (the /metrics buffer depth)."""
        return sum(len(per) for per in self._pending.values())

    def stage(self, collection: str, _id: str, update: Update, *, only_if: dict | None = None) -> None:
        """Stage `update` for document `_id` (upserted), or, with `only_if`, for the document only if
        it exists and matches that filter then (an open alert: never one closed meanwhile)."""
        docs = self._pending.setdefault(collection, {})
        docs[_id] = merge(docs[_id], update) if _id in docs else update
        if only_if is not None:
            self._only_if[(collection, _id)] = only_if

    def pending(self, collection: str, _id: str) -> Update | None:
        return self._pending.get(collection, {}).get(_id)

    def pending_ids(self, collection: str) -> list[str]:
        return list(self._pending.get(collection, {}))

    def overlay(self, collection: str, _id: str, doc: dict | None) -> dict | None:
        update = self.pending(collection, _id)
        return doc if update is None else apply(doc, _id, update)

    async def flush(self) -> int:
        """Write everything staged so far; returns the number of statements written. A caller that
        is cancelled does not cancel the flush (see run())."""
        return await asyncio.shield(self._flush())

    async def _flush(self) -> int:
        async with self._lock:
            batch, self._pending = self._pending, {}
            if not batch:
                return 0
            only_if = {key: self._only_if.pop(key) for key in list(self._only_if) if key[1] in batch.get(key[0], {})}
            chunks = _chunks(batch, FLUSH_CHUNK)
            written = 0
            for i, chunk in enumerate(chunks):
                mine = {key: m for key, m in only_if.items() if key[1] in chunk.get(key[0], {})}
                count = sum(map(len, chunk.values()))
                try:
                    await self._write(chunk, mine)
                except Exception as exc:  # the database away: one outage line, not a traceback per flush
                    left = {key: m for key, m in only_if.items()
                            if any(key[1] in c.get(key[0], {}) for c in chunks[i + 1:])}
                    if self.transactions is False:  # partly applied, maybe: retrying could count twice
                        self.db.outage.log_failure(log, exc, "derived-state flush of %d statements failed; dropped",
                                                   count)
                    else:  # the transaction was aborted: nothing of it is applied
                        self.db.outage.log_failure(log, exc, "derived-state flush of %d statements failed; retried "
                                                   "at the next flush", count)
                        self._restage(chunk, mine)
                    for rest in chunks[i + 1:]:  # never sent: safe to retry whatever the transactions
                        self._restage(rest, left)
                    return written
                written += count
            self.flushes += 1
            self.statements += written
            return written

    async def _write(self, batch: dict[str, dict[str, Update]], only_if: dict[tuple[str, str], dict]) -> None:
        def op(coll: str, _id: str, update: Update) -> UpdateOne:
            match = only_if.get((coll, _id))
            return UpdateOne({"_id": _id, **(match or {})}, update, upsert=match is None)

        ops = {coll: [op(coll, _id, update) for _id, update in docs.items()] for coll, docs in batch.items()}
        if self.transactions is not False:
            try:
                # A bounded wait (pymongo's client-side timeout): the transaction is aborted properly
                # rather than left open on the server holding its documents.
                with pymongo.timeout(FLUSH_TIMEOUT_S):
                    async with self.db.client.start_session() as session:
                        async with await session.start_transaction():
                            for coll, requests in ops.items():
                                await self.db[coll].bulk_write(requests, ordered=False, session=session)
                self.transactions = True
                return
            except OperationFailure as exc:
                if exc.code != NOT_A_REPLICA_SET or isinstance(exc, BulkWriteError):
                    raise
                log.info("the database has no transactions (standalone server): flushing without them")
                self.transactions = False
        # Without a transaction a failure may leave part of a flush applied; re-staging it could
        # count an $inc twice, so only the statements reported as failed are retried.
        for coll, requests in ops.items():
            try:
                await self.db[coll].bulk_write(requests, ordered=False)
            except BulkWriteError as exc:
                failed = {e["index"] for e in exc.details.get("writeErrors", [])}
                ids = list(batch[coll])
                self._restage({coll: {ids[i]: batch[coll][ids[i]] for i in failed}}, only_if)
                log.error("derived-state flush: %d of %d %s statements failed", len(failed), len(requests), coll)

    def _restage(self, batch: dict[str, dict[str, Update]], only_if: dict[tuple[str, str], dict]) -> None:
        newer, self._pending = self._pending, batch
        for key, match in only_if.items():
            if key[1] in batch.get(key[0], {}):
                self._only_if.setdefault(key, match)
        for coll, docs in newer.items():
            for _id, update in docs.items():
                self.stage(coll, _id, update)

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every interval until `stop` is set, then once more. Never cancelled mid-flush: a
        transaction abandoned on the server holds its documents until it times out, and the
        next flush of the same documents waited behind it."""
        written = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.next_wait(written))
            written = await self.flush()

    def next_wait(self, written: int) -> float:
        """DERIVED_FLUSH_MS, or longer when the last flush wrote more statements than
        DERIVED_STATEMENTS_PER_S allows in that time: with 10,000 patients sending every 5 s, one
        flush a second is ~4,000 update statements a second, more than SecantusDB can do beside
        the readings (bench fleet). Waiting longer merges more readings into each statement."""
        if not self.statements_per_s:
            return self.interval_s
        return max(self.interval_s, written / self.statements_per_s)
