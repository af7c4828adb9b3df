"""The inbox: stored before emitted, per-user seq, every device, replay without gap or duplicate."""

from __future__ import annotations

import asyncio

import pytest

from server.inbox.notifier import NOTIFICATIONS
from server.keys import DB, NOTIFIER
from tests.support.helpers import Recorder as Inbox
from tests.support.helpers import connect_error_of, until

T = {"fr": "Bonjour", "en": "Hello"}


async def test_stored_then_sent_to_every_device_of_the_recipient_only(api, app):
    alice, token = await api.user("alice", "patient")
    _, bob_token = await api.user("bob", "patient")
    phone, laptop = await Inbox(api, token).connect(), await Inbox(api, token).connect()
    other = await Inbox(api, bob_token).connect()
    docs = await app[NOTIFIER].notify([alice["id"]], "test:ping", title=T, body=T,
                                      link={"type": "thing", "id": "x1"}, data={"n": 1})
    await app[NOTIFIER].notify([alice["id"]], "test:ping", title=T, body=T)
    stored = await app[DB][NOTIFICATIONS].find({"user_id": alice["id"]}).sort("seq", 1).to_list(None)
    assert [d["seq"] for d in stored] == [1, 2] and stored[0]["_id"] == docs[0]["_id"]
    await until(lambda: phone.seqs == [1, 2] and laptop.seqs == [1, 2])
    first = phone.new[0]
    assert first["title"] == {"fr": "Bonjour", "en": "Hello"} and first["read_at"] is None
    assert first["link"] == {"type": "thing", "id": "x1"} and first["id"] == docs[0]["_id"]
    assert phone.counts[-2:] == [1, 2]
    await asyncio.sleep(0.2)
    assert other.new == []
    for inbox in (phone, laptop, other):
        await inbox.disconnect()


async def test_rest_list_filters_and_reading_on_one_device_updates_the_other(api, app):
    alice, token = await api.user("alice", "patient")
    _, bob_token = await api.user("bob", "patient")
    for i in range(5):
        await app[NOTIFIER].notify([alice["id"]], "kind:a" if i % 2 else "kind:b", title=T, body=T)
    status, page = await api.call("GET", "/api/notifications?limit=2", token)
    assert status == 200 and [n["seq"] for n in page["items"]] == [5, 4] and page["unread"] == 5
    status, page2 = await api.call("GET", f"/api/notifications?limit=2&before_seq={page['next_before_seq']}", token)
    assert [n["seq"] for n in page2["items"]] == [3, 2]
    _, typed = await api.call("GET", "/api/notifications?type=kind:a", token)
    assert [n["seq"] for n in typed["items"]] == [4, 2]
    status, bad = await api.call("GET", "/api/notifications?limit=0&colour=red", token)
    assert status == 400 and {d["field"] for d in bad["error"]["details"]} == {"limit", "colour"}

    phone, laptop = await Inbox(api, token).connect(), await Inbox(api, token).connect()
    target = page["items"][0]["id"]
    status, _ = await api.call("POST", f"/api/notifications/{target}/read", bob_token)
    assert status == 404  # another user's notification: no data, no change
    status, read = await api.call("POST", f"/api/notifications/{target}/read", token)
    assert status == 200 and read["read_at"] is not None
    await until(lambda: laptop.reads and laptop.counts[-1] == 4)
    assert laptop.reads[0]["ids"] == [target]
    ack = await phone.client.call("notification:mark_read", {"id": target}, timeout=5)  # idempotent
    assert ack["ok"] and ack["data"]["read_at"] == read["read_at"]
    _, unread = await api.call("GET", "/api/notifications?unread=true", token)
    assert [n["seq"] for n in unread["items"]] == [4, 3, 2, 1]
    ack = await phone.client.call("notification:mark_all_read", {}, timeout=5)
    assert ack == {"ok": True, "data": {"marked": 4, "unread": 0}}
    await until(lambda: len(laptop.reads) == 2 and laptop.counts[-1] == 0)
    assert laptop.reads[1]["all"] is True
    bad = await phone.client.call("notification:mark_read", {"id": ""}, timeout=5)
    assert bad["ok"] is False and bad["error"]["code"] == "invalid"
    await phone.disconnect()
    await laptop.disconnect()


async def test_reconnect_replays_what_was_missed_in_order(api, app):
    alice, token = await api.user("alice", "patient")
    notifier = app[NOTIFIER]
    for _ in range(3):
        await notifier.notify([alice["id"]], "test:ping", title=T, body=T)
    inbox = await Inbox(api, token).connect(last_seq=0)
    assert inbox.seqs == [1, 2, 3] and inbox.counts == [3]  # replayed inside the handshake
    await inbox.disconnect()
    for _ in range(4):  # while offline
        await notifier.notify([alice["id"]], "test:ping", title=T, body=T)
    await inbox.connect(last_seq=inbox.seqs[-1])
    assert inbox.seqs == [1, 2, 3, 4, 5, 6, 7]
    await notifier.notify([alice["id"]], "test:ping", title=T, body=T)
    await until(lambda: inbox.seqs[-1] == 8)
    await inbox.disconnect()
    fresh = await Inbox(api, token).connect()  # no last_seq: no replay, the badge only
    assert fresh.new == [] and fresh.counts == [8]
    await fresh.disconnect()


async def test_invalid_last_seq_is_refused(api):
    _, token = await api.user("alice", "patient")
    for bad in (-1, "3", 1.5, True):
        err = await connect_error_of(api, {"token": token, "last_seq": bad})
        assert err["message"] == "invalid_last_seq"


@pytest.mark.parametrize("producers", [1, 3])
async def test_replay_under_concurrency_has_no_gap_and_no_duplicate(api, app, producers):
    """Notifications keep being created while the client drops and reconnects again and again."""
    alice, token = await api.user("alice", "patient")
    notifier, total = app[NOTIFIER], 120

    async def produce(n: int) -> None:
        for i in range(n):
            await notifier.notify([alice["id"]], "test:ping", title=T, body=T, data={"i": i})
            if i % 7 == 0:
                await asyncio.sleep(0.005)

    tasks = [asyncio.create_task(produce(total // producers)) for _ in range(producers)]
    inbox, reconnects = Inbox(api, token), 0
    while not all(t.done() for t in tasks):
        await inbox.connect(last_seq=inbox.seqs[-1] if inbox.seqs else 0)
        reconnects += 1
        await asyncio.sleep(0.03)
        await inbox.disconnect()
    await asyncio.gather(*tasks)
    await inbox.connect(last_seq=inbox.seqs[-1] if inbox.seqs else 0)
    assert inbox.seqs == list(range(1, total + 1)), inbox.seqs
    assert reconnects >= 3
    await inbox.disconnect()


async def test_two_processes_numbering_a_new_users_first_items_at_once(aiohttp_client, settings, clock, api, app):
    """Both processes create the user's counter at the same instant: neither fails, numbers stay unique."""
    from server.app import create_app

    other = create_app(settings, clock)
    await aiohttp_client(other)
    users = [f"u{i}" for i in range(30)]
    await asyncio.gather(*(n.notify([u], "test:ping", title=T, body=T)
                           for u in users for n in (app[NOTIFIER], other[NOTIFIER])))
    stored = await app[DB][NOTIFICATIONS].find({"user_id": {"$in": users}}).to_list(None)
    seqs: dict[str, list[int]] = {}
    for doc in stored:
        seqs.setdefault(doc["user_id"], []).append(doc["seq"])
    assert {u: sorted(s) for u, s in seqs.items()} == {u: [1, 2] for u in users}
