"""The two loads most benchmarks are made of, against any server speaking our protocol.

`ingest`: devices send acknowledged `vitals:send` events in a closed loop; events/s, ack
latency, server CPU and events per server CPU-second. `fanout`: one device sends to a
patient watched by W dashboards; time from the device's send to the last dashboard's
receive. Both return one table row.
"""

from __future__ import annotations

import time

from bench import loads
from bench.common import mint_token, percentiles, saturation_notes
from bench.workers import run_workers_mixed, split


def ingest(urls: list[str], secret: str, *, devices: int, inflight: int, clients: int, duration: float,
           watch: dict[str, int], device_auth=None, namespace: str = "/", payload: str = "vitals",
           watchers_per_patient: int = 0, profile=None, watcher_token=None,
           watch_event: str = "vitals:reading") -> tuple[dict, list[str]]:
    """`urls`: one per server process; sockets are spread over them round-robin."""
    device_auth = device_auth or (lambda i: ({"token": mint_token(secret, f"dev-{i}", "patient")}, f"pat-{i}"))
    specs = []
    for i in range(devices):
        auth, pid = device_auth(i)
        specs.append({"auth": auth, "patient_id": pid, "url": urls[i % len(urls)]})
    configs = []
    for n, chunk in enumerate(_chunks(specs, clients)):
        for url in urls:
            mine = [s for s in chunk if s["url"] == url]
            if mine:
                configs.append({"url": url, "devices": mine, "inflight": inflight, "namespace": namespace,
                                "payload": payload, "worker": n, "seq_base": int(time.time() * 1000) * 1000})
    watcher_cfgs = []
    if watchers_per_patient:
        watcher_token = watcher_token or (lambda i: mint_token(secret, f"doc-{i}", "doctor"))
        w_specs = [{"auth": {"token": watcher_token(i)}, "patient_ids": [s["patient_id"]],
                    "url": urls[(i + 1) % len(urls)]}  # the watcher sits on another process when there are two
                   for i, s in enumerate(specs) for k in range(watchers_per_patient)]
        watcher_cfgs = [{"url": url, "watchers": [w for w in w_specs if w["url"] == url], "role": "watchers",
                         "event": watch_event} for url in urls]
    results, cpu, _ = _run(configs, watcher_cfgs, duration, watch, profile)
    dev = [r for r in results if "acked" in r]
    acked = sum(r["acked"] for r in dev)
    lat = [x for r in dev for x in r["latency_ms"]]
    row = {"events_per_s": round(acked / cpu["wall_s"], 1), **{f"ack_{k}_ms": v for k, v in percentiles(lat).items()},
           "errors": sum(r["errors"] + r["lost"] for r in dev)}
    if watcher_cfgs:
        delivered = sum(v[0] for r in results if "received" in r for v in r["received"].values())
        row["delivered_per_s"] = round(delivered / cpu["wall_s"], 1)
    row.update(_cpu_columns(cpu, watch, acked))
    client_cpu = [r["client_cpu_pct"] for r in results]
    row["client_cpu_max_pct"] = max(client_cpu)
    first_error = next((r.get("first_error") for r in dev if r.get("first_error")), None)
    notes = saturation_notes(client_cpu, cpu["machine_cpu_pct"])
    if first_error:
        notes.append(f"first refused event: {first_error}")
    return row, notes


def fanout(url: str, secret: str, *, watchers: int, clients: int, duration: float, watch: dict[str, int],
           device_auth=None, patient_id: str = "pat-fan", namespace: str = "/", payload: str = "vitals",
           watcher_auth=None, watch_urls: list[str] | None = None, profile=None, event: str = "vitals:reading",
           interval_s: float = 0.0) -> tuple[dict, list[str]]:
    """One device, `watchers` dashboards on one patient; latency from send to the last receive."""
    device_auth = device_auth or (lambda i: ({"token": mint_token(secret, "dev-fan", "patient")}, patient_id))
    watcher_auth = watcher_auth or (lambda i: {"token": mint_token(secret, f"doc-{i}", "doctor")})
    auth, pid = device_auth(0)
    dev_cfg = [{"url": url, "devices": [{"auth": auth, "patient_id": pid}], "inflight": 1,
                "namespace": namespace, "payload": payload, "interval_s": interval_s,
                "seq_base": int(time.time() * 1000) * 1000}]  # a new run never repeats a (device, seq)
    watch_urls = watch_urls or [url]
    w_cfgs = []
    for n, count in enumerate(split(watchers, clients)):
        start = sum(split(watchers, clients)[:n])
        if count:
            w_cfgs.append({"url": watch_urls[n % len(watch_urls)], "role": "watchers", "event": event,
                           "watchers": [{"auth": watcher_auth(start + k), "patient_ids": [pid]}
                                        for k in range(count)]})
    results, cpu, _ = _run(dev_cfg, w_cfgs, duration, watch, profile)
    sent = results[0]["acked"]
    merged: dict[str, list] = {}
    for r in results[1:]:
        for key, (count, t_last, t_sent) in r["received"].items():
            m = merged.setdefault(key, [0, 0.0, t_sent])
            m[0] += count
            m[1] = max(m[1], t_last)
    complete = [(t_last - t_sent) * 1000 for count, t_last, t_sent in merged.values() if count == watchers]
    row = {"watchers": watchers, "messages": sent, "complete": len(complete),
           **{f"last_{k}_ms": v for k, v in percentiles(complete, (50, 99)).items()},
           "deliveries_per_s": round(sum(m[0] for m in merged.values()) / cpu["wall_s"], 1)}
    row.update(_cpu_columns(cpu, watch, None))
    client_cpu = [r["client_cpu_pct"] for r in results]
    row["client_cpu_max_pct"] = max(client_cpu)
    notes = saturation_notes(client_cpu, cpu["machine_cpu_pct"])
    if len(complete) < sent:
        notes.append(f"fanout {watchers}: {sent - len(complete)} of {sent} messages did not reach every watcher "
                     "within the grace second (counted out of the latency figures)")
    return row, notes


def _run(device_cfgs: list[dict], watcher_cfgs: list[dict], duration: float, watch: dict[str, int],
         profile=None):
    """Device and watcher workers in one window; `profile` = a bench.profile.Profiler started at go."""
    results = run_workers_mixed([(loads.devices, c) for c in device_cfgs] + [(loads.watchers, c) for c in watcher_cfgs],
                                duration=duration, watch=watch, on_go=profile.start if profile else None)
    if profile:
        profile.wait()
    return results


def _cpu_columns(cpu: dict, watch: dict[str, int], events: int | None) -> dict:
    server_pct = sum(cpu[f"{k}_cpu_pct"] for k in watch)
    out = {"server_cpu_pct": round(server_pct, 1),
           "server_rss_mib": round(sum(cpu[f"{k}_rss_mib"] for k in watch), 1),
           "machine_cpu_pct": cpu["machine_cpu_pct"]}
    if len(watch) > 1:  # each process too (server-0, db, redis, ...)
        out.update({f"{k}_cpu_pct": cpu[f"{k}_cpu_pct"] for k in watch})
    if events is not None and server_pct > 0:
        out["events_per_cpu_s"] = round(events / cpu["wall_s"] / (server_pct / 100), 1)
    return out


def _chunks(items: list, n: int) -> list[list]:
    sizes = split(len(items), n)
    out, i = [], 0
    for s in sizes:
        out.append(items[i:i + s])
        i += s
    return [c for c in out if c]

