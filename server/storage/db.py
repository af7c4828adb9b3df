"""MongoDB access: one AsyncMongoClient per app, the embedded server when needed, indexes.

Modules declare the indexes their collections need while the app is built; they are
created at start-up (idempotent: create_index on an existing identical index is a no-op).
While the app runs, a monitor pings the database (every MONITOR_S, faster while it is away) so
the outage (server.storage.outage) knows when it is back, and the embedded database's child
process is supervised (restarted when it dies).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

from server.settings import Settings
from server.storage.embedded_db import EmbeddedDB, supervise
from server.storage.outage import Outage

log = logging.getLogger(__name__)
T = TypeVar("T")
MONITOR_S, MONITOR_DOWN_S = 5.0, 0.5
NOT_A_REPLICA_SET = 20  # IllegalOperation: "Transaction numbers are only allowed on a replica set member"


@dataclass
class Database:
    """The app's database handle plus the index declarations gathered at build time."""

    indexes: dict[str, list[IndexModel]] = field(default_factory=dict)
    retired: dict[str, list[str]] = field(default_factory=dict)
    client: AsyncMongoClient | None = None
    db: AsyncDatabase | None = None
    embedded: EmbeddedDB | None = None
    outage: Outage = field(default_factory=Outage)

    def declare(self, collection: str, *models: IndexModel) -> None:
        self.indexes.setdefault(collection, []).extend(models)

    def retire(self, collection: str, name: str) -> None:
        """An index an earlier version created and a declared one replaces: dropped at start-up."""
        self.retired.setdefault(collection, []).append(name)

    def __getitem__(self, name: str):
        assert self.db is not None, "database used before start-up"
        return self.db[name]

    async def ensure_indexes(self) -> None:
        for coll, names in self.retired.items():
            existing = await (await self.db[coll].list_indexes()).to_list(None)
            for name in set(names) & {ix["name"] for ix in existing}:
                log.info("dropping the retired index %s.%s", coll, name)
                await self.db[coll].drop_index(name)
        for coll, models in self.indexes.items():
            if models:
                await self.db[coll].create_indexes(models)

    async def ping(self) -> bool:
        try:
            await asyncio.wait_for(self.db.command("ping"), timeout=2)
            return True
        except Exception:  # readiness only reports up or down
            return False

    async def monitor(self) -> None:
        """Ping until cancelled: a failure starts the outage (if no request did), a success ends it."""
        while True:
            try:
                await asyncio.wait_for(self.db.command("ping"), timeout=2)
                self.outage.recovered()
            except Exception as exc:  # task boundary: the outage logs it, once per interval
                self.outage.seen(exc if isinstance(exc, PyMongoError) else ConnectionError("ping timed out"),
                                 "the health ping")
            await asyncio.sleep(MONITOR_DOWN_S if self.outage.down else MONITOR_S)


async def in_transaction(db: Database, write: Callable[..., Awaitable[T]]) -> T:
    """`write(session)` in one transaction: all of it or nothing. A standalone MongoDB has no
    transactions (the README asks for a replica set): there `write(None)` runs as plain writes."""
    try:
        async with db.client.start_session() as session:
            async with await session.start_transaction():
                return await write(session)
    except OperationFailure as exc:
        if exc.code != NOT_A_REPLICA_SET:
            raise
    return await write(None)


def database_ctx(holder: Database, settings: Settings):
    """cleanup_ctx: start the embedded DB if needed, connect, create indexes; undo on exit."""
    return lambda _app: _connected(holder, settings)


async def _connected(holder: Database, settings: Settings) -> AsyncIterator[None]:
    uri = settings.mongodb_uri
    if uri is None:
        holder.embedded = EmbeddedDB(settings.data_dir / "db")
        uri = await asyncio.to_thread(holder.embedded.start)
    # A replica set elects a new primary within ~10 s; the embedded one restarts in ~1 s, and a device
    # waiting for its `retry_later` should not wait 10 s for it.
    holder.client = AsyncMongoClient(uri, tz_aware=True,
                                     serverSelectionTimeoutMS=3_000 if holder.embedded else 10_000)
    holder.db = holder.client[settings.mongodb_db]
    tasks: list[asyncio.Task] = []
    try:
        await holder.ensure_indexes()
        tasks.append(asyncio.create_task(holder.monitor(), name="database-monitor"))
        if holder.embedded:
            tasks.append(asyncio.create_task(supervise(holder.embedded, holder.outage), name="embedded-db"))
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await holder.client.close()
        if holder.embedded:
            await asyncio.to_thread(holder.embedded.stop)
            holder.embedded = None
