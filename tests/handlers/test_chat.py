"""Chat between people: relations, stored-first delivery with per-conversation seq, replay on
reconnect, paging, typing, read receipts, and presence seen from another server process."""

from __future__ import annotations

import asyncio

import pytest

from server.app import create_app
from server.chat.presence import Presence
from server.keys import CARE_UNITS, CHAT, DB, SIO
from tests.conftest import Api
from tests.support.helpers import settle, until, world

pytestmark = pytest.mark.ward  # FakeClock, long-lived tokens


@pytest.fixture
async def w(api):
    w = await world(api)
    await w.grant("doc", "pat")
    yield w
    await w.close()


async def open_care(w, who="doc", other="pat") -> dict:
    status, conv = await w.call(who, "POST", "/api/chat/conversations/", {"with_user_id": w.ids[other]})
    assert status in (200, 201), conv
    return conv


def messages(device, conv_id=None) -> list[dict]:
    return [m for m in device.of("chat:message") if conv_id is None or m["conversation_id"] == conv_id]


async def test_opening_needs_a_care_relation(w, app):
    status, conv = await w.call("doc", "POST", "/api/chat/conversations/", {"with_user_id": w.ids["pat"]})
    assert status == 201 and conv["relation"] == "grant" and conv["open"] is True
    assert conv["other"]["id"] == w.ids["pat"] and conv["kind"] == "care"
    status, again = await w.call("pat", "POST", "/api/chat/conversations/", {"with_user_id": w.ids["doc"]})
    assert status == 200 and again["id"] == conv["id"]  # one conversation, whoever opens it
    cases = [("stranger", "pat", 403, "no_care_relation"), ("other", "pat", 403, "no_care_relation"),
             ("ph1", "doc", 403, "no_care_relation"), ("admin", "pat", 403, "role_forbidden"),
             ("doc", "doc", 404, "user_not_found")]
    for who, other, code, error in cases:
        status, body = await w.call(who, "POST", "/api/chat/conversations/", {"with_user_id": w.ids[other]})
        assert (status, body["error"]["code"]) == (code, error), (who, other, body)
    status, body = await w.call("doc", "POST", "/api/chat/conversations/", {"with_user_id": "nobody"})
    assert status == 404
    status, body = await w.call("doc", "POST", "/api/chat/conversations/", {"user": w.ids["pat"]})
    assert status == 400 and {d["field"] for d in body["error"]["details"]} == {"with_user_id", "user"}
    assert (await w.call(None, "POST", "/api/chat/conversations/", {"with_user_id": w.ids["pat"]}))[0] == 401
    # a care unit is a relation too
    unit = await app[CARE_UNITS].create("Ward C", "ward", w.ids["admin"])
    await app[CARE_UNITS].add_staff(unit["_id"], w.ids["stranger"])
    await app[CARE_UNITS].add_patient(unit["_id"], w.ids["other"])
    status, conv = await w.call("other", "POST", "/api/chat/conversations/", {"with_user_id": w.ids["stranger"]})
    assert status == 201 and conv["relation"] == "care_unit"


async def test_doctor_and_pharmacist_talk_about_one_prescription_until_it_ends(w):
    _, rx = await w.call("doc", "POST", "/api/prescriptions", {"patient_id": w.ids["pat"], "medications": [
        {"name": "X", "dose": "1", "frequency": "1", "duration": "1"}]})
    status, conv = await w.call("ph1", "POST", "/api/chat/conversations/",
                                {"with_user_id": w.ids["doc"], "prescription_id": rx["id"]})
    assert status == 201 and conv["kind"] == "prescription" and conv["relation"] == "prescription"
    assert conv["id"] == f"rx:{rx['id']}:{w.ids['ph1']}"
    for who, other in (("stranger", "ph1"), ("pat", "ph1")):
        status, body = await w.call(who, "POST", "/api/chat/conversations/",
                                    {"with_user_id": w.ids[other], "prescription_id": rx["id"]})
        assert status == 403, body
    status, _ = await w.call("doc", "POST", f"/api/chat/conversations/{conv['id']}/messages/", {"text": "Dose ?"})
    assert status == 201
    await w.call("doc", "POST", f"/api/prescriptions/{rx['id']}/status", {"status": "cancelled", "reason": "r"})
    status, body = await w.call("ph1", "POST", f"/api/chat/conversations/{conv['id']}/messages/", {"text": "ok"})
    assert status == 403 and body["error"]["code"] == "conversation_closed"


async def test_messages_are_stored_numbered_and_delivered_to_both(w, app):
    conv = await open_care(w)
    doc, pat, other = await w.device("doc"), await w.device("pat"), await w.device("other")
    acks = []
    for who, text in (("doc", "Bonjour"), ("pat", "Bonjour docteur"), ("doc", "Comment allez-vous ?")):
        device = doc if who == "doc" else pat
        acks.append(await device.call("chat:send", {"conversation_id": conv["id"], "text": text}))
    assert [a["data"]["seq"] for a in acks] == [1, 2, 3]
    await settle(app[SIO], {"doc": doc, "pat": pat, "other": other}, w.ids)
    for device in (doc, pat):
        assert [m["seq"] for m in messages(device)] == [1, 2, 3]
        assert [m["text"] for m in messages(device)] == ["Bonjour", "Bonjour docteur", "Comment allez-vous ?"]
    assert messages(other) == []
    assert messages(pat)[0] == acks[0]["data"]
    assert pat.inbox_types() == []  # online: no inbox item
    # history, newest first, by pages
    path = f"/api/chat/conversations/{conv['id']}/messages/"
    status, page = await w.call("pat", "GET", path + "?limit=2")
    assert status == 200 and [m["seq"] for m in page["items"]] == [3, 2] and page["next_before_seq"] == 2
    status, page = await w.call("pat", "GET", path + "?limit=2&before_seq=2")
    assert [m["seq"] for m in page["items"]] == [1] and page["next_before_seq"] is None
    assert (await w.call("other", "GET", path))[0] == 404
    assert (await w.call("pat", "GET", path + "?limit=0"))[0] == 400
    bad = await doc.call("chat:send", {"conversation_id": conv["id"], "text": ""})
    assert bad["error"]["code"] == "invalid"
    stolen = await other.call("chat:send", {"conversation_id": conv["id"], "text": "hi"})
    assert stolen["error"]["code"] == "conversation_not_found"


async def test_a_retried_send_with_the_same_client_id_is_stored_once(w):
    conv = await open_care(w)
    path = f"/api/chat/conversations/{conv['id']}/messages/"
    first = await w.call("pat", "POST", path, {"text": "Bonjour", "client_id": "c-1"})
    again = await w.call("pat", "POST", path, {"text": "Bonjour", "client_id": "c-1"})
    assert first[0] == again[0] == 201 and first[1] == again[1]
    _, page = await w.call("pat", "GET", path)
    assert [m["seq"] for m in page["items"]] == [1]


async def test_when_the_relation_ends_the_conversation_closes_but_stays_readable(w):
    conv = await open_care(w)
    path = f"/api/chat/conversations/{conv['id']}/messages/"
    assert (await w.call("doc", "POST", path, {"text": "avant"}))[0] == 201
    _, grants = await w.call("pat", "GET", "/api/grants")
    assert (await w.call("pat", "POST", f"/api/grants/{grants[0]['id']}/revoke"))[0] == 200
    status, body = await w.call("doc", "POST", path, {"text": "après"})
    assert status == 403 and body["error"]["code"] == "conversation_closed"
    pat = await w.device("pat")
    typing = await pat.call("chat:typing", {"conversation_id": conv["id"], "typing": True})
    assert typing["error"]["code"] == "conversation_closed"
    status, page = await w.call("doc", "GET", path)
    assert status == 200 and [m["text"] for m in page["items"]] == ["avant"]
    _, convs = await w.call("doc", "GET", "/api/chat/conversations/")
    assert [(c["id"], c["open"], c["relation"]) for c in convs["items"]] == [(conv["id"], False, None)]


async def test_missed_messages_are_replayed_on_reconnect_and_reach_the_inbox(w, app):
    conv = await open_care(w)
    doc = await w.device("doc")
    for i in range(1, 5):
        await doc.call("chat:send", {"conversation_id": conv["id"], "text": f"m{i}"})
    pat = await w.device("pat", last_seq=0, chat={conv["id"]: 1, "not-mine": 0})
    await until(lambda: pat.of("chat:synced"))
    assert [m["seq"] for m in messages(pat)] == [2, 3, 4]
    assert pat.of("chat:synced") == [{"conversations": {conv["id"]: 4}, "replayed": 3}]
    chat_items = [n for n in pat.new if n["type"] == "chat:message"]
    assert len(chat_items) == 4  # offline when they were sent
    assert chat_items[0]["link"] == {"type": "conversation", "id": conv["id"]} and chat_items[0]["data"] == {"seq": 1}
    await doc.call("chat:send", {"conversation_id": conv["id"], "text": "m5"})
    await settle(app[SIO], {"pat": pat}, w.ids)
    assert [m["seq"] for m in messages(pat)] == [2, 3, 4, 5]
    assert [n["type"] for n in pat.new].count("chat:message") == 4  # online now: live only
    bad = await _refused(w, "pat", chat={conv["id"]: -1})
    assert bad


async def _refused(w, who, **auth) -> bool:
    import socketio
    try:
        await w.device(who, **auth)
    except socketio.exceptions.ConnectionError:
        return True
    return False


async def test_replay_while_messages_keep_coming_misses_none(w, app):
    conv = await open_care(w)
    doc = await w.device("doc")
    sender = asyncio.ensure_future(asyncio.gather(*(
        doc.call("chat:send", {"conversation_id": conv["id"], "text": f"m{i}"}) for i in range(30))))
    pat = await w.device("pat", chat={conv["id"]: 0})
    await sender
    await settle(app[SIO], {"pat": pat}, w.ids)
    seqs = [m["seq"] for m in messages(pat)]
    assert sorted(set(seqs)) == list(range(1, 31))  # every one arrived; a duplicate is possible, by design


async def test_typing_and_read_receipts(w, app):
    conv = await open_care(w)
    doc, pat = await w.device("doc"), await w.device("pat")
    for text in ("a", "b", "c"):
        await doc.call("chat:send", {"conversation_id": conv["id"], "text": text})
    ack = await pat.call("chat:typing", {"conversation_id": conv["id"], "typing": True})
    assert ack == {"ok": True, "data": {"typing": True}}
    ack = await pat.call("chat:mark_read", {"conversation_id": conv["id"], "seq": 2})
    assert ack["ok"] and ack["data"]["seq"] == 2
    assert (await pat.call("chat:mark_read", {"conversation_id": conv["id"], "seq": 1}))["data"]["seq"] == 2
    too_far = await pat.call("chat:mark_read", {"conversation_id": conv["id"], "seq": 4})
    assert too_far["error"]["code"] == "invalid_seq"
    await settle(app[SIO], {"doc": doc, "pat": pat}, w.ids)
    assert [(t["user_id"], t["typing"]) for t in doc.of("chat:typing_changed")] == [(w.ids["pat"], True)]
    assert pat.of("chat:typing_changed") == []
    for device in (doc, pat):
        assert [(r["user_id"], r["seq"]) for r in device.of("chat:read")] == [(w.ids["pat"], 2), (w.ids["pat"], 2)]
    _, convs = await w.call("pat", "GET", "/api/chat/conversations/")
    assert convs["items"][0]["unread"] == 1 and convs["items"][0]["read"][w.ids["doc"]] == 3
    status, body = await w.call("pat", "POST", f"/api/chat/conversations/{conv['id']}/read/", {"seq": 3})
    assert status == 200 and body["seq"] == 3
    assert (await w.call("other", "POST", f"/api/chat/conversations/{conv['id']}/read/", {"seq": 1}))[0] == 404


async def test_presence_is_shared_by_server_processes(w, app, settings, clock, aiohttp_client):
    await open_care(w)
    doc = await w.device("doc")
    _, convs = await w.call("doc", "GET", "/api/chat/conversations/")
    assert convs["items"][0]["other"]["online"] is False
    # the patient connects to a second server process on the same database
    other_app = create_app(settings, clock)
    api_b = Api(await aiohttp_client(other_app))
    pat_b = await api_b.sio(w.tokens["pat"])
    _, convs = await w.call("doc", "GET", "/api/chat/conversations/")
    assert convs["items"][0]["other"]["online"] is True
    await pat_b.disconnect()
    for _ in range(250):
        _, convs = await w.call("doc", "GET", "/api/chat/conversations/")
        if not convs["items"][0]["other"]["online"]:
            break
        await asyncio.sleep(0.02)
    assert convs["items"][0]["other"]["online"] is False
    # on this process the doctor hears the patient come and go
    pat = await w.device("pat")
    await pat.disconnect()
    await until(lambda: len(doc.of("chat:presence")) == 2)
    assert [(p["user_id"], p["online"]) for p in doc.of("chat:presence")] == [(w.ids["pat"], True),
                                                                            (w.ids["pat"], False)]
    # a process that dies leaves its sockets behind: stale after the TTL, swept once, announced offline
    dead = Presence(app[DB], clock, settings.chat_presence_ttl_s)
    await dead.connected("sid-of-a-dead-process", w.ids["pat"])
    assert (await w.call("doc", "GET", "/api/chat/conversations/"))[1]["items"][0]["other"]["online"] is True
    clock.advance(settings.chat_presence_ttl_s + 1)
    await app[CHAT].beat()  # this process sweeps first (without REDIS_URL the other's emit stays on it)
    await other_app[CHAT].beat()  # nothing left to sweep: announced once
    await settle(app[SIO], {"doc": doc}, w.ids)
    assert [(p["user_id"], p["online"]) for p in doc.of("chat:presence")][2:] == [(w.ids["pat"], False)]
    assert await app[DB]["chat_presence"].count_documents({"process": dead.process}) == 0
    assert (await w.call("doc", "GET", "/api/chat/conversations/"))[1]["items"][0]["other"]["online"] is False
