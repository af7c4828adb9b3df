"""The chatbot through the real google-genai client against a local stub of the Gemini API.

Paths: plain reply (raw WebSocket), streamed reply (Socket.IO `/chatbot`), HTTP 400 and 500, timeout,
no key (offline), red flags first, history per user and clearing, the per-user rate limit, and
the prompt never carrying another patient's data.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import socketio

from server.chatbot.offline import NOTICE
from server.chatbot.safety import EMERGENCY
from server.keys import ALERTS
from tests.support.gemini_stub import GeminiStub
from tests.support.helpers import until, world


@pytest.fixture
async def stub(aiohttp_server):
    stub = GeminiStub()
    server = await aiohttp_server(stub.app)
    stub.url = str(server.make_url("/")).rstrip("/")
    return stub


@pytest.fixture
def settings(settings, stub, request):
    marker = request.node.get_closest_marker("chatbot")
    extra = dict(marker.kwargs) if marker else {}
    key = extra.pop("key", "test-key")
    return dataclasses.replace(settings, google_api_key=key, gemini_base_url=stub.url, chatbot_timeout_s=2.0,
                               **extra)


class Bot:
    """A `/chatbot` Socket.IO client recording what it receives."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []
        self.client = socketio.AsyncClient(reconnection=False)

        @self.client.on("*", namespace="/chatbot")
        def _any(event, data=None):
            self.events.append((event, data))

    def of(self, name: str) -> list[dict]:
        return [d for e, d in self.events if e == name]

    async def ask(self, message: str, **extra) -> dict:
        return await self.client.call("chatbot:message", {"message": message, **extra}, namespace="/chatbot",
                                      timeout=15)


async def bot(api, token: str) -> Bot:
    b = Bot()
    await b.client.connect(api.base_url, auth={"token": token}, namespaces=["/chatbot"], transports=["websocket"],
                           wait_timeout=5)
    return b


async def test_streamed_reply_arrives_in_chunks_then_the_whole_reply(api, stub):
    _, token = await api.user("pat", "patient")
    b = await bot(api, token)
    ack = await b.ask("Bonjour, comment ça marche ?")
    await until(lambda: b.of("chatbot:reply"))  # the client runs event handlers as tasks: wait for them
    assert ack["ok"], ack
    assert [c["text"] for c in b.of("chatbot:chunk")] == stub.chunks
    assert [c["index"] for c in b.of("chatbot:chunk")] == [0, 1, 2]
    assert b.of("chatbot:reply") == [ack["data"]]
    assert ack["data"]["text"] == "".join(stub.chunks) and ack["data"]["mode"] == "gemini"
    assert stub.paths[0].endswith(":streamGenerateContent")
    sent = stub.requests[0]
    assert "ne poses jamais de diagnostic" in json.dumps(sent["systemInstruction"], ensure_ascii=False)
    assert sent["contents"][-1]["parts"][0]["text"] == "Bonjour, comment ça marche ?"
    assert b.of("chatbot:error") == []
    await b.client.disconnect()


async def test_plain_reply_over_the_earlier_raw_websocket(api, client, stub):
    _, token = await api.user("pat", "patient")
    async with client.ws_connect(f"/ws/chatbot/?token={token}") as ws:
        assert await ws.receive_json(timeout=5) == {"type": "connection_established",
                                                    "message": "Connexion établie avec le chatbot"}
        await ws.send_str('{"message": "Bonjour gemini!"}')
        reply = await ws.receive_json(timeout=10)
        assert reply["type"] == "chat_message" and reply["message"] == "".join(stub.chunks)
        assert reply["mode"] == "gemini"
        await ws.send_str("not json")
        assert (await ws.receive_json(timeout=5))["code"] == "invalid_json"
        await ws.send_str('{"text": "wrong field"}')
        bad = await ws.receive_json(timeout=5)
        assert bad["type"] == "error" and bad["code"] == "invalid"
    assert stub.paths == [stub.paths[0]] and stub.paths[0].endswith(":generateContent")


async def test_raw_websocket_and_namespace_refuse_a_missing_or_bad_token(api, client):
    resp = await client.get("/ws/chatbot/")
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "token_missing"
    resp = await client.get("/ws/chatbot/?token=nope")
    assert resp.status == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        await bot(api, "nope")


@pytest.mark.parametrize("status", [400, 500])
async def test_gemini_http_errors_fall_back_to_the_offline_assistant(api, stub, status):
    _, token = await api.user("pat", "patient")
    stub.status = status
    b = await bot(api, token)
    ack = await b.ask("Comment partager mes données avec mon médecin ?", include_my_data=False)
    await until(lambda: b.of("chatbot:reply"))
    assert ack["ok"] and ack["data"]["mode"] == "offline"
    assert ack["data"]["text"].startswith(NOTICE["fr"])
    assert "Demandes d'accès" in ack["data"]["text"]  # the FAQ entry on access
    errors = b.of("chatbot:error")
    assert [(e["code"], e["reason"]) for e in errors] == [("gemini_unavailable", f"http_{status}")]
    assert len(stub.requests) == 1  # no retry
    await b.client.disconnect()


async def test_a_slow_gemini_times_out_into_the_offline_answer(api, stub):
    _, token = await api.user("pat", "patient")
    stub.delay = 5.0  # the deadline is 2 s
    b = await bot(api, token)
    ack = await b.ask("Hello, what does the NEWS2 score mean?")
    await until(lambda: b.of("chatbot:reply"))
    assert ack["data"]["mode"] == "offline" and ack["data"]["lang"] == "en"
    assert ack["data"]["text"].startswith(NOTICE["en"]) and "NEWS2" in ack["data"]["text"]
    assert [e["reason"] for e in b.of("chatbot:error")] == ["timeout"]
    await b.client.disconnect()


@pytest.mark.chatbot(key=None)
async def test_without_a_key_the_offline_assistant_answers_from_the_users_own_data(api, app, stub):
    w = await world(api)
    await w.grant("doc", "pat")
    await w.grant("doc", "other")
    for who, drug in (("pat", "Paracetamol"), ("other", "Zebramycin")):
        status, _ = await w.call("doc", "POST", "/api/prescriptions", {"patient_id": w.ids[who], "medications": [
            {"name": drug, "dose": "1", "frequency": "3/j", "duration": "5 j"}]})
        assert status == 201
    b = await bot(api, w.tokens["pat"])
    ack = await b.ask("Quels sont mes médicaments ?")
    text = ack["data"]["text"]
    assert ack["data"]["mode"] == "offline" and ack["data"]["grounded"] is True
    assert text.startswith(NOTICE["fr"]) and "Paracetamol" in text and "Zebramycin" not in text
    assert stub.requests == []  # no key: Gemini is never called
    await b.client.disconnect()


async def test_red_flags_come_first_with_gemini_and_offline(api, stub):
    _, token = await api.user("pat", "patient")
    b = await bot(api, token)
    ack = await b.ask("J'ai une douleur thoracique depuis une heure")
    await until(lambda: b.of("chatbot:reply"))
    assert ack["data"]["red_flags"] == ["chest_pain"]
    assert ack["data"]["text"].startswith(EMERGENCY["fr"])
    assert b.of("chatbot:chunk")[0] == {"reply_id": ack["data"]["reply_id"], "index": 0,
                                         "text": EMERGENCY["fr"] + "\n\n"}
    stub.status = 500
    ack = await b.ask("I can't breathe and my chest hurts")
    assert ack["data"]["mode"] == "offline" and ack["data"]["red_flags"] == ["breathing"]
    assert ack["data"]["text"].startswith(EMERGENCY["en"])
    await b.client.disconnect()


async def test_the_prompt_never_carries_another_patients_data(api, app, stub):
    w = await world(api)
    await w.grant("doc", "pat")
    await w.grant("doc", "other")
    for who, drug in (("pat", "Paracetamol"), ("other", "Zebramycin")):
        await w.call("doc", "POST", "/api/prescriptions", {"patient_id": w.ids[who], "medications": [
            {"name": drug, "dose": "1", "frequency": "3/j", "duration": "5 j"}]})
    await app[ALERTS].upsert(patient_id=w.ids["other"], type="spo2_low", severity="critical", value=84,
                             category="vitals")
    await app[ALERTS].upsert(patient_id=w.ids["pat"], type="heart_rate_high", severity="warning", value=121,
                             category="vitals")
    pat = await bot(api, w.tokens["pat"])
    await pat.ask("Résume mes alertes et mes ordonnances")
    doc = await bot(api, w.tokens["doc"])  # granted on both patients, asking about "my" data
    await doc.ask("What are my alerts and my medications?", include_my_data=True)
    mine, doctors = stub.prompts()
    assert "Paracetamol" in mine and "heart_rate_high" in mine
    for leak in ("Zebramycin", "spo2_low", w.ids["other"], w.ids["pat"]):
        assert leak not in mine
    for leak in ("Zebramycin", "Paracetamol", "spo2_low", "heart_rate_high", w.ids["other"], w.ids["pat"]):
        assert leak not in doctors
    assert "Données de la personne" in doctors and '{}' in doctors  # grounded, but a doctor is nobody's patient
    await pat.client.disconnect()
    await doc.client.disconnect()


async def test_history_is_per_user_sent_back_as_context_and_clearable(api, stub):
    _, pat = await api.user("pat", "patient")
    _, other = await api.user("other", "patient")
    b = await bot(api, pat)
    await b.ask("Première question")
    await b.ask("Deuxième question")
    assert [c["role"] for c in stub.requests[1]["contents"]] == ["user", "model", "user"]
    assert stub.requests[1]["contents"][0]["parts"][0]["text"] == "Première question"
    status, body = await api.call("GET", "/api/chatbot/history/", pat)
    assert status == 200 and [i["question"] for i in body["items"]] == ["Première question", "Deuxième question"]
    assert (await api.call("GET", "/api/chatbot/history/", other))[1] == {"items": []}
    assert (await api.call("DELETE", "/api/chatbot/history/", other))[1] == {"deleted": 0}
    ack = await b.client.call("chatbot:clear", {}, namespace="/chatbot", timeout=5)
    assert ack == {"ok": True, "data": {"deleted": 2}}
    assert (await api.call("GET", "/api/chatbot/history/", pat))[1] == {"items": []}
    assert (await api.call("GET", "/api/chatbot/history/", None))[0] == 401
    await b.ask("Troisième")
    assert len(stub.requests[2]["contents"]) == 1  # the cleared history is no longer sent
    await b.client.disconnect()


@pytest.mark.chatbot(chatbot_rate_limit="3/minute")
async def test_rate_limit_per_user(api, stub):
    _, pat = await api.user("pat", "patient")
    _, other = await api.user("other", "patient")
    b, o = await bot(api, pat), await bot(api, other)
    acks = [await b.ask(f"question {i}") for i in range(4)]
    assert [a["ok"] for a in acks] == [True, True, True, False]
    assert acks[3]["error"]["code"] == "rate_limited"
    await until(lambda: len(b.of("chatbot:reply")) == 3 and b.of("chatbot:error"))
    assert [e["code"] for e in b.of("chatbot:error")] == ["rate_limited"]
    assert (await o.ask("question"))["ok"]  # another user has their own allowance
    assert len(stub.requests) == 4
    bad = await b.client.call("chatbot:message", {"message": ""}, namespace="/chatbot", timeout=5)
    assert bad["error"]["code"] == "invalid"
    await b.client.disconnect()
    await o.client.disconnect()



@pytest.mark.ward  # FakeClock, 7-day access tokens
async def test_an_expired_chatbot_socket_is_refused_until_it_refreshes(api, clock, stub):
    _, token = await api.user("pat", "patient")
    await api.user("other", "patient")
    b = await bot(api, token)
    clock.advance(8 * 86400)
    stranger = (await api.login("other"))["access"]
    refused = await b.ask("Bonjour")
    assert refused["error"]["code"] == "token_expired"
    fresh = (await api.login("pat"))["access"]
    bad = await b.client.call("auth:refresh", {"token": stranger}, namespace="/chatbot", timeout=5)
    assert bad["error"]["code"] == "token_invalid"  # another user's token
    ack = await b.client.call("auth:refresh", {"token": fresh}, namespace="/chatbot", timeout=5)
    assert ack["ok"] and ack["data"]["exp"] > clock.timestamp()
    assert (await b.ask("Bonjour"))["ok"]
    assert len(stub.requests) == 1  # the refused question never reached Gemini
    await b.client.disconnect()
