"""server/jobs.py: periodic passes survive a failing step; a task that swallows a cancellation still stops."""

from __future__ import annotations

import asyncio
import logging

from server import jobs


async def test_a_failing_pass_is_logged_and_the_next_ones_run(caplog):
    runs: list[str] = []

    async def flaky() -> None:
        runs.append("flaky")
        if len(runs) == 1:
            raise RuntimeError("database hiccup")

    third = asyncio.Event()

    async def steady() -> None:
        runs.append("steady")
        if runs.count("steady") == 3:
            third.set()

    task = asyncio.create_task(jobs.every("test-pass", 0.01, flaky, steady, first_now=True))
    with caplog.at_level(logging.ERROR, logger="server.jobs"):
        await asyncio.wait_for(third.wait(), 10)
        await jobs.stop(task)
    assert runs[:4] == ["flaky", "steady", "flaky", "steady"]  # the step after the failure ran, then again
    assert [r.getMessage() for r in caplog.records].count("test-pass: pass " + flaky.__qualname__ + " failed") == 1
    assert task.cancelled()


async def test_stop_ends_a_task_that_swallowed_its_first_cancellation():
    """What Python 3.11's wait_for does when the cancellation meets a completing awaitable."""
    swallowed = 0

    async def loop() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed == 0:
                    swallowed += 1
                    continue  # dropped, as the 3.11 wait_for bug drops it
                raise

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    await asyncio.wait_for(jobs.stop(task), 10)
    assert swallowed == 1 and task.cancelled()
