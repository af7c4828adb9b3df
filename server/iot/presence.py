"""When a device counts as offline: one rule, by the server clock.

A device is *offline* when no data came from it for more than
max(2 × its reporting interval, DEVICE_OFFLINE_MIN_S) seconds (a device that never sent
anything is offline too). The `device_offline` alert (server/alerting/device_alerts.py) and
the care unit summary (server/alerting/unit_summary.py) both ask `is_offline`.

Not to be confused with the *link* status (`online`, the `device:status` event,
DEVICE_HEARTBEAT_TIMEOUT, server/iot/links.py): whether the device holds a connection to
this server, which a device sending over HTTP never does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

SeenHere = Callable[[str], datetime | None]  # device id -> when this process last heard from it

DEFAULT_INTERVAL_S = 5


def offline_after(device: dict, min_s: float) -> float:
    """Seconds of silence after which this device is offline."""
    return max(2 * (device.get("interval_s") or DEFAULT_INTERVAL_S), min_s)


def silence(device: dict, now: datetime) -> float | None:
    seen = device.get("last_seen")
    return None if seen is None else (now - seen).total_seconds()


def freshest(device: dict, seen_here: SeenHere | None) -> dict:
    """`device` with the later of its stored `last_seen` and this process's own: the stored one is
    refreshed only every few seconds (server/iot/links.py), so alone it could call a device that
    sent here a moment ago silent for longer than it is."""
    here = seen_here(device["_id"]) if seen_here else None
    seen = device.get("last_seen")
    return {**device, "last_seen": here} if here is not None and (seen is None or here > seen) else device


def is_offline(device: dict, now: datetime, min_s: float) -> bool:
    quiet = silence(device, now)
    return quiet is None or quiet > offline_after(device, min_s)


def maybe_offline(now: datetime, min_s: float) -> dict:
    """A database filter no offline device escapes (silent for at least `min_s`); refine with `is_offline`."""
    return {"last_seen": {"$lt": now - timedelta(seconds=min_s)}}
