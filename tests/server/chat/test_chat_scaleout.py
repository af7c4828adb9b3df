"""Two real server processes, one database, one redis-server: chat and chatbot behave as one system.

The patient on process A, the doctor on B: presence, messages and receipts cross over, and the
chatbot's per-user rate limit counts questions asked on both processes together.
"""

from __future__ import annotations

import aiohttp
import pytest
import socketio

from server.realtime import events
from tests.server.realtime.test_scaleout import redis_port, seed  # noqa: F401 - redis_port is a fixture
from tests.support.iot import Inbox
from tests.support.processes import mint_token, two_servers


@pytest.fixture
def pair(mongo_uri, db_name, redis_port, tmp_path, symptoms_model_dir):  # noqa: F811 - the imported fixture
    with two_servers(tmp_path, mongo_uri, db_name, redis_port, symptoms_model_dir, CHATBOT_RATE_LIMIT="3/minute") as c:
        yield c


async def connect(url: str, token: str, *names: str, namespace: str = "/") -> tuple[socketio.AsyncClient, Inbox]:
    client = socketio.AsyncClient(reconnection=False)
    inbox = Inbox(client, *names, namespace=namespace)
    await client.connect(url, auth={"token": token}, transports=["websocket"], namespaces=[namespace],
                         wait_timeout=5)
    return client, inbox


async def test_chat_presence_and_the_chatbot_limit_across_processes(pair):
    seed(pair["db"], "pat-1", "doc-1")
    pat_token, doc_token = (mint_token(pair["secret"], "pat-1", "patient"),
                            mint_token(pair["secret"], "doc-1", "doctor"))
    async with aiohttp.ClientSession() as http, http.post(
            pair["b"] + "/api/chat/conversations/", json={"with_user_id": "pat-1"},
            headers={"Authorization": f"Bearer {doc_token}"}) as resp:
        conv = await resp.json()
        assert resp.status == 201, conv
    doctor, doc_inbox = await connect(pair["b"], doc_token, events.CHAT_PRESENCE, events.CHAT_READ)
    patient, pat_inbox = await connect(pair["a"], pat_token, events.CHAT_MESSAGE, events.CHAT_TYPING_CHANGED)
    try:
        await doc_inbox.wait(lambda i: i.of(events.CHAT_PRESENCE), within=10)
        ack = await doctor.call(events.CHAT_SEND, {"conversation_id": conv["id"], "text": "Bonjour"}, timeout=10)
        assert ack["ok"] and ack["data"]["seq"] == 1, ack
        await doctor.call(events.CHAT_TYPING, {"conversation_id": conv["id"], "typing": True}, timeout=10)
        await pat_inbox.wait(lambda i: i.of(events.CHAT_MESSAGE) and i.of(events.CHAT_TYPING_CHANGED), within=10)
        assert [m["text"] for m in pat_inbox.of(events.CHAT_MESSAGE)] == ["Bonjour"]
        ack = await patient.call(events.CHAT_MARK_READ, {"conversation_id": conv["id"], "seq": 1}, timeout=10)
        assert ack["ok"], ack
        await doc_inbox.wait(lambda i: i.of(events.CHAT_READ), within=10)
        await patient.disconnect()
        await doc_inbox.wait(lambda i: len(i.of(events.CHAT_PRESENCE)) == 2, within=10)
        assert [(p["user_id"], p["online"]) for p in doc_inbox.of(events.CHAT_PRESENCE)] == [
            ("pat-1", True), ("pat-1", False)]

        # three questions allowed per minute, wherever they are asked
        on_a, _ = await connect(pair["a"], pat_token, namespace=events.CHATBOT_NAMESPACE)
        on_b, _ = await connect(pair["b"], pat_token, namespace=events.CHATBOT_NAMESPACE)
        acks = []
        for bot in (on_a, on_b, on_a, on_b):
            acks.append(await bot.call(events.CHATBOT_MESSAGE, {"message": "Bonjour"},
                                       namespace=events.CHATBOT_NAMESPACE, timeout=10))
        assert [a["ok"] for a in acks] == [True, True, True, False]
        assert acks[3]["error"]["code"] == "rate_limited"
        assert acks[0]["data"]["mode"] == "offline"  # no GOOGLE_API_KEY
        await on_a.disconnect()
        await on_b.disconnect()
    finally:
        await doctor.disconnect()
        if patient.connected:
            await patient.disconnect()
