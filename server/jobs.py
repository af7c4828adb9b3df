"""Background work, one way: periodic passes (`every`), tasks for the app's life (`task_ctx`,
`periodic_ctx`) and claims of due work that happen once across processes (`claim_due`).

A periodic pass that fails is logged with its name and tried again next period: a database
hiccup must not end the task (the database away is one line per pass until it passes again).
A claim repeats the due condition in the `find_one_and_update`
filter, so of two processes racing for one document only the first write still matches; the
loser moves on. Escalation, unit summaries and grant expiry claim this way (reminders will too).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import ConnectionFailure

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[Any]]


async def every(name: str, period_s: float, *steps: Step, first_now: bool = False) -> None:
    """Run `steps` in order every `period_s` seconds until cancelled; a failing step is logged, not fatal."""
    if not first_now:
        await asyncio.sleep(period_s)
    away: set[Step] = set()  # steps that found the database away, said once until they pass again
    while True:
        for step in steps:
            try:
                await step()
                away.discard(step)
            except ConnectionFailure:  # the database away: server.storage.outage logs the outage itself
                if step not in away:
                    away.add(step)
                    log.warning("%s: pass %s skipped while the database is away", name,
                                getattr(step, "__qualname__", step))
            except Exception:  # task boundary: logged, retried next period
                log.exception("%s: pass %s failed", name, getattr(step, "__qualname__", step))
        await asyncio.sleep(period_s)


async def stop(task: asyncio.Task) -> None:
    """Cancel `task` until it has ended. On Python 3.11 `asyncio.wait_for` drops a cancellation that
    arrives as its awaitable completes (fixed in 3.12); a loop around it then runs on, and a plain
    `cancel(); await task` at shutdown waits for ever (the intermittent teardown hang)."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    with contextlib.suppress(asyncio.CancelledError):
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s ended with %r", task.get_name(), task.exception())


def task_ctx(name: str, run: Callable[[], Awaitable[None]]):
    """A cleanup_ctx running `run()` as a task for the app's life, stopped (and awaited) on exit."""

    async def ctx(_app) -> AsyncIterator[None]:
        task = asyncio.create_task(run(), name=name)
        yield
        await stop(task)

    ctx.__qualname__ = f"task_ctx[{name}]"
    return ctx


def periodic_ctx(name: str, period_s: float, *steps: Step, first_now: bool = False):
    """A cleanup_ctx running `every(name, period_s, *steps)` for the app's life."""
    return task_ctx(name, lambda: every(name, period_s, *steps, first_now=first_now))


async def claim_due(coll, due: Mapping[str, Any], update: Mapping[str, Any] | Callable[[dict], Any],
                    *, limit: int = 100, projection: Mapping[str, Any] | None = None) -> AsyncIterator[dict]:
    """Yield each document matching `due` that this process claimed with `update` (at most `limit`).

    `update` may be a function of the candidate (read with `projection`), e.g. a next due time
    that depends on its severity, or a coroutine function when building it needs reads. The
    document yielded is the one after the update."""
    candidates = await coll.find(dict(due), dict(projection or {"_id": 1})).limit(limit).to_list(None)
    for candidate in candidates:
        change = update(candidate) if callable(update) else update
        if inspect.isawaitable(change):  # an update that must read first (escalation's chain)
            change = await change
        doc = await coll.find_one_and_update({**due, "_id": candidate["_id"]}, dict(change),
                                             return_document=ReturnDocument.AFTER)
        if doc is not None:  # None: another process claimed it first
            yield doc
