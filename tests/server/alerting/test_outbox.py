"""The alert outbox: an alert stored whose dispatch failed still reaches its audience, once."""

from __future__ import annotations

from collections import Counter

import pytest

from server.keys import ALERT_ENGINE, ALERTS, CLOCK, SIO
from tests.support.alerting import NORMAL, cast, feed
from tests.support.helpers import Recorder, settle

pytestmark = pytest.mark.ward


def heard(rec: Recorder) -> Counter:
    seen = Counter(name for name, _ in rec.events if name.startswith("alert:"))
    seen.update(f"inbox:{n['data']['change']}" for n in rec.new if n["type"] == "alert")
    return seen


async def test_a_failed_dispatch_is_delivered_later_exactly_once(api, app, monkeypatch):
    people = await cast(api)
    names = ("patient", "doctor")
    recs = {n: await Recorder(api, people[n][1]).connect() for n in names}
    ids = {n: people[n][0]["id"] for n in names}
    dispatch, clock = app[ALERT_ENGINE].dispatch, app[CLOCK]
    broadcast, failures = dispatch.notifier.broadcast, []

    # The notifier also carries `news2:updated` (server/alerting/news2_live.py), sent before the
    # alert: the link drops for the first alert event, which is what the outbox must recover.
    async def down_once(event, payload, rooms):
        if not failures and event.startswith("alert:"):
            failures.append(event)
            raise ConnectionError("the pub/sub link dropped")
        await broadcast(event, payload, rooms)
    monkeypatch.setattr(dispatch.notifier, "broadcast", down_once)

    await feed(app, people["device"], NORMAL, times=2)
    await feed(app, people["device"], {**NORMAL, "spo2": 88}, times=8)
    (alert,) = await app[ALERTS].coll.find({"patient_id": people["pid"], "type": "spo2_low"}).to_list(None)
    assert failures == ["alert:raised"]
    await settle(app[SIO], recs, ids)
    assert heard(recs["patient"])["alert:raised"] == 0  # stored, but nobody was told

    assert await dispatch.redeliver() == 0  # its writer may still be at it: not yet
    clock.advance(31)
    assert await dispatch.redeliver() == 1
    assert await dispatch.redeliver() == 0
    clock.advance(31)
    assert await dispatch.redeliver() == 0  # delivered once, never again
    await settle(app[SIO], recs, ids)
    for name in names:
        assert heard(recs[name])["alert:raised"] == 1 and heard(recs[name])["inbox:raised"] == 1, name
    assert recs["doctor"].of("alert:raised")[0]["alert"]["id"] == alert["_id"]
    assert "outbox" not in recs["doctor"].of("alert:raised")[0]["alert"]

    # a dispatch that worked leaves nothing behind
    status, _ = await api.call("POST", f"/api/iot/alerts/{alert['_id']}/acknowledge", people["doctor"][1])
    assert status == 200
    clock.advance(31)
    assert await dispatch.redeliver() == 0
    await settle(app[SIO], recs, ids)
    assert heard(recs["patient"])["inbox:acknowledged"] == 1
    for rec in recs.values():
        await rec.disconnect()


async def test_a_live_news2_link_down_does_not_stop_alerts(api, app, monkeypatch):
    """`news2:updated` is live only; while its broadcast fails, the rules still persist and raise."""
    people = await cast(api)
    dispatch = app[ALERT_ENGINE].dispatch
    broadcast, failed = dispatch.notifier.broadcast, []

    async def news2_down(event, payload, rooms):
        if event == "news2:updated":
            failed.append(event)
            raise ConnectionError("the pub/sub link dropped")
        await broadcast(event, payload, rooms)
    monkeypatch.setattr(dispatch.notifier, "broadcast", news2_down)

    await feed(app, people["device"], NORMAL, times=2)
    for i in range(8):  # SpO2 88 for 40 s; the pulse moves the NEWS2 score every reading
        await feed(app, people["device"], {**NORMAL, "spo2": 88, "heart_rate": 72 if i % 2 else 95})
    (alert,) = await app[ALERTS].coll.find({"patient_id": people["pid"], "open": True}).to_list(None)
    assert {c["key"] for c in alert["causes"]} >= {"rule:spo2_low"}
    assert len(failed) == 10  # each changed score was tried (a failed one is tried again with the next)
