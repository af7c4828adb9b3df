"""Open-loop device load: each device sends on its own schedule, whatever the acks do.

A closed loop (bench.loads.devices) slows down with the server, so it never shows latency at
a given offered rate. Here every device sends one `vitals:send` every `interval_s` at a random
phase and records the ack's latency when it comes; acks still missing `timeout_s` after the
send count as lost. The offered rate is devices / interval_s, spread evenly over time, so a
sweep of rates shows where the server stops keeping up (the knee).
"""

from __future__ import annotations

import asyncio
import random
import time
from array import array

from bench.eio import SioClient
from bench.loads import device_sockets


async def paced_devices(cfg: dict, ctl) -> dict:
    """cfg: url, namespace, payload, devices: [{auth, patient_id}], interval_s, timeout_s, seq_base."""
    async with device_sockets(cfg) as (clients, seconds, make):
        specs = cfg["devices"]
        interval, timeout = float(cfg["interval_s"]), float(cfg.get("timeout_s", 10.0))
        await ctl.ready({"connected": len(clients), "connect_s": seconds})
        lat = array("d")
        counts = {"sent": 0, "acked": 0, "errors": 0, "lost": 0}
        pending: set[asyncio.Task] = set()

        async def await_ack(fut: asyncio.Future, t0: float) -> None:
            try:
                ack = await asyncio.wait_for(fut, timeout)
            except Exception:
                counts["lost"] += 1
                return
            if isinstance(ack, dict) and ack.get("ok"):
                counts["acked"] += 1
                lat.append((time.perf_counter() - t0) * 1000)
            else:
                counts["errors"] += 1
                counts.setdefault("first_error", ack)

        async def device(c: SioClient, spec: dict) -> None:
            seq = int(cfg.get("seq_base", 0))
            due = time.perf_counter() + random.random() * interval  # spread the phases evenly
            while True:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if due >= ctl.deadline or c.closed.is_set():
                    return
                seq += 1
                t0 = time.perf_counter()
                try:
                    fut = await c.emit_ack("vitals:send", make(spec, seq))
                except Exception:
                    counts["lost"] += 1
                    return
                counts["sent"] += 1
                task = asyncio.create_task(await_ack(fut, t0))
                pending.add(task)
                task.add_done_callback(pending.discard)
                due += interval

        await asyncio.gather(*(device(c, s) for c, s in zip(clients, specs, strict=True)))
        sending_cpu = ctl.cpu_pct()
        if pending:  # the last acks, up to the timeout
            await asyncio.wait(set(pending))
        ctl.measured({**counts, "latency_ms": list(lat), "client_cpu_pct": sending_cpu})
    return None
