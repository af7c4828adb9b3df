"""Load-generator workers (run in their own processes by bench.workers.run_workers).

`devices`: sockets that send an acknowledged event in a closed loop (each keeps `inflight`
events outstanding), recording ack latency. `watchers`: sockets that join a patient's room
and record, per (patient, seq), how many copies arrived and when the last one did.
`http_batches` and `mqtt_publishers`: the same vitals over `POST /api/iot/batch` and MQTT.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from array import array
from datetime import datetime

import aiohttp
import aiomqtt
import orjson

from bench.eio import SioClient, connector


def reading(patient_id: str, seq: int) -> dict:
    """One device message with three data points (heart rate, SpO2, temperature)."""
    return {"patient_id": patient_id, "seq": seq, "ts": time.time(),
            "readings": {"heart_rate": 60 + random.random() * 40, "spo2": 94 + random.random() * 5,
                         "temperature": 36.4 + random.random()}}


async def connect_all(session, url: str, auths: list[dict], *, namespace: str = "/", concurrency: int = 64,
                      on_event=None) -> tuple[list[SioClient], float, int]:
    """Connect one client per auth, `concurrency` at a time. Returns (clients, seconds, failures)."""
    sem = asyncio.Semaphore(concurrency)
    failures = 0

    async def one(auth: dict) -> SioClient | None:
        nonlocal failures
        async with sem:
            c = SioClient(session, url, namespace=namespace, auth=auth, on_event=on_event)
            try:
                await c.connect(timeout=30)
                return c
            except Exception:
                failures += 1
                return None

    t0 = time.perf_counter()
    clients = await asyncio.gather(*(one(a) for a in auths))
    return [c for c in clients if c], time.perf_counter() - t0, failures


@contextlib.asynccontextmanager
async def device_sockets(cfg: dict):
    """`cfg["devices"]`' sockets, every one connected (else RuntimeError), with the connect time and
    the payload maker for `cfg["payload"]`; closed on exit. Shared by the closed-loop and paced senders."""
    async with aiohttp.ClientSession(connector=connector()) as session:
        clients, seconds, failed = await connect_all(session, cfg["url"], [d["auth"] for d in cfg["devices"]],
                                                     namespace=cfg.get("namespace", "/"))
        try:
            if failed:
                raise RuntimeError(f"{failed} device sockets failed to connect")
            yield clients, seconds, _payload_factory(cfg)
        finally:
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def devices(cfg: dict, ctl) -> dict:
    """cfg: url, namespace, event, devices: [{auth, patient_id, message?}], inflight, payload ('vitals')."""
    async with device_sockets(cfg) as (clients, _, make):
        specs = cfg["devices"]
        await ctl.ready({"connected": len(clients)})
        lat = array("d")
        counts = {"acked": 0, "errors": 0, "lost": 0}
        event = cfg.get("event", "vitals:send")

        base = int(cfg.get("seq_base", 0))

        async def loop(c: SioClient, spec: dict, lane: int, lanes: int) -> None:
            seq = base + lane
            while time.perf_counter() < ctl.deadline:
                seq += lanes
                t0 = time.perf_counter()
                try:
                    ack = await asyncio.wait_for(await c.emit_ack(event, make(spec, seq)), 30)
                except Exception:
                    counts["lost"] += 1
                    return
                if isinstance(ack, dict) and ack.get("ok"):
                    counts["acked"] += 1
                    lat.append((time.perf_counter() - t0) * 1000)
                    if pace:  # paced sender (fan-out): one message every `interval_s`
                        await asyncio.sleep(max(0.0, t0 + pace - time.perf_counter()))
                else:
                    counts["errors"] += 1
                    if counts["errors"] == 1:
                        counts["first_error"] = ack

        lanes = int(cfg.get("inflight", 1))
        pace = float(cfg.get("interval_s", 0))
        await asyncio.gather(*(loop(c, s, i, lanes) for c, s in zip(clients, specs, strict=True)
                               for i in range(lanes)))
        ctl.measured({**counts, "latency_ms": list(lat)})
    return None


def _payload_factory(cfg: dict):
    kind = cfg.get("payload", "vitals")
    if kind == "vitals":
        return lambda spec, seq: reading(spec["patient_id"], seq)
    if kind == "device":  # our /devices namespace: the device id comes from the token, not the payload
        return lambda spec, seq: {k: v for k, v in reading(spec["patient_id"], seq).items() if k != "patient_id"}
    raise ValueError(kind)


def _ts(value) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


async def watchers(cfg: dict, ctl) -> dict:
    """cfg: url, watchers: [{auth, patient_ids}], event ('vitals:reading'), watch_event ('vitals:watch')."""
    last: dict[tuple, list] = {}
    event = cfg.get("event", "vitals:reading")

    def on_event(name, data, _t) -> None:
        if name != event or not isinstance(data, dict):
            return
        now = time.time()
        key = (data.get("patient_id"), data.get("seq"))
        entry = last.get(key)
        if entry is None:
            last[key] = [1, now, _ts(data.get(cfg.get("ts_field", "ts")))]
        else:
            entry[0] += 1
            entry[1] = now

    async with aiohttp.ClientSession(connector=connector()) as session:
        specs = cfg["watchers"]
        clients, seconds, failed = await connect_all(session, cfg["url"], [w["auth"] for w in specs],
                                                     on_event=on_event)
        if failed:
            raise RuntimeError(f"{failed} watcher sockets failed to connect")
        async def watch_all(c: SioClient, spec: dict) -> None:  # one socket's watches in order, sockets at once
            for pid in spec["patient_ids"]:
                ack = await c.call(cfg.get("watch_event", "vitals:watch"), {"patient_id": pid}, timeout=30)
                if not (isinstance(ack, dict) and ack.get("ok")):
                    raise RuntimeError(f"watch refused: {ack}")

        await asyncio.gather(*(watch_all(c, s) for c, s in zip(clients, specs, strict=True)))
        await ctl.ready({"connected": len(clients), "connect_s": seconds})
        await asyncio.sleep(max(0.0, ctl.deadline + cfg.get("grace", 1.0) - time.perf_counter()))
        ctl.measured({"received": {f"{p}|{s}": v for (p, s), v in last.items()}})
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return None


async def holders(cfg: dict, ctl) -> dict:
    """cfg: url, auths, namespace. Connect every socket after go, hold them idle until the deadline."""
    async with aiohttp.ClientSession(connector=connector()) as session:
        await ctl.ready({})
        clients, seconds, failed = await connect_all(session, cfg["url"], cfg["auths"],
                                                     namespace=cfg.get("namespace", "/"),
                                                     concurrency=cfg.get("concurrency", 64))
        connect_cpu = ctl.cpu_pct()
        await asyncio.sleep(max(0.0, ctl.deadline - time.perf_counter()))
        alive = sum(1 for c in clients if not c.closed.is_set())
        ctl.measured({"connected": len(clients), "failed": failed, "connect_s": seconds, "alive": alive,
                      "connect_client_cpu_pct": connect_cpu})
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return None


async def http_batches(cfg: dict, ctl) -> dict:
    """cfg: url, devices: [{token}], batch. Each device POSTs /api/iot/batch in a closed loop."""
    lat = array("d")
    counts = {"acked": 0, "errors": 0, "lost": 0, "requests": 0}
    size = int(cfg.get("batch", 50))
    async with aiohttp.ClientSession(connector=connector()) as session:
        await ctl.ready({})

        async def loop(index: int, token: str) -> None:
            seq = index * 10**9
            headers = {"Authorization": f"Bearer {token}"}
            while time.perf_counter() < ctl.deadline:
                items = []
                for _ in range(size):
                    seq += 1
                    m = reading("", seq)
                    del m["patient_id"]
                    items.append(m)
                t0 = time.perf_counter()
                try:
                    async with session.post(cfg["url"] + "/api/iot/batch", json={"measurements": items},
                                            headers=headers) as resp:
                        body = await resp.json()
                except Exception:
                    counts["lost"] += 1
                    return
                counts["requests"] += 1
                if resp.status == 200:
                    counts["acked"] += body.get("accepted", 0)
                    counts["errors"] += size - body.get("accepted", 0)
                    lat.append((time.perf_counter() - t0) * 1000)
                else:
                    counts["errors"] += size
                    counts.setdefault("first_error", body)

        await asyncio.gather(*(loop(i + 1000 * cfg.get("worker", 0), d["token"])
                               for i, d in enumerate(cfg["devices"])))
        ctl.measured({**counts, "latency_ms": list(lat)})
    return None


async def _mqtt_connect(stack: contextlib.AsyncExitStack, cfg: dict, device: dict) -> aiomqtt.Client:
    """Log in as the device, retrying while the broker has not yet reloaded its password file."""
    deadline = time.monotonic() + 15
    while True:
        client = aiomqtt.Client(cfg["host"], cfg["port"], username=device["id"], password=device["token"],
                                identifier=device["id"], max_inflight_messages=100)
        try:
            return await stack.enter_async_context(client)
        except aiomqtt.MqttError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def mqtt_publishers(cfg: dict, ctl) -> dict:
    """cfg: host, port, devices: [{id, token}], inflight, seq_base. Each device publishes QoS 1 vitals to
    fadjma/devices/<id>/vitals keeping `inflight` unacknowledged; the latency is publish to the
    broker's PUBACK (the broker's receipt: the server sends no per-message ack over MQTT)."""
    lat = array("d")
    counts = {"acked": 0, "errors": 0, "lost": 0}
    async with contextlib.AsyncExitStack() as stack:
        clients = [await _mqtt_connect(stack, cfg, d) for d in cfg["devices"]]
        await ctl.ready({"connected": len(clients)})

        async def loop(client: aiomqtt.Client, device_id: str, lane: int, lanes: int) -> None:
            seq, topic = int(cfg.get("seq_base", 0)) + lane, f"fadjma/devices/{device_id}/vitals"
            while time.perf_counter() < ctl.deadline:
                seq += lanes
                m = reading("", seq)
                del m["patient_id"]
                t0 = time.perf_counter()
                try:
                    await client.publish(topic, orjson.dumps(m), qos=1, timeout=30)
                except Exception as exc:
                    counts["lost"] += 1
                    counts.setdefault("first_error", repr(exc))
                    return
                counts["acked"] += 1
                lat.append((time.perf_counter() - t0) * 1000)

        lanes = int(cfg.get("inflight", 1))
        await asyncio.gather(*(loop(c, d["id"], i, lanes) for c, d in zip(clients, cfg["devices"], strict=True)
                               for i in range(lanes)))
        ctl.measured({**counts, "latency_ms": list(lat)})
    return None
