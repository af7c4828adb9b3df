"""Hypothesis payloads for every client event and every device frame, over the real transports.

Socket.IO (`/` and `/chatbot` as each user role, `/devices` as the device), the raw device WebSocket,
the device HTTP routes and the LoRaWAN webhooks (MQTT: test_fuzz_mqtt.py). Payloads are JSON junk
(NaN and infinities, 2^70, deep nesting, wrong types), the event's own fields filled with junk or
with plausible values (real ids, numbers in range, vital kinds), extra arguments and unknown event
names. Every one must get an answer in the envelope of its transport and never `internal`; the
server stays up and keeps serving; nothing malformed is stored. Derandomized and bounded (EXAMPLES).
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
from collections import Counter
from datetime import datetime

import aiohttp
import socketio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from models.chat import MAX_TEXT
from models.chatbot import MAX_QUESTION
from models.documents import CHAT_MESSAGES, CHATBOT_HISTORY
from models.vitals import KINDS, MESSAGE_FIELDS
from server.keys import DB, SIO
from server.realtime import events
from tests.contract.cast import WEBHOOK_SECRET, cast
from tests.support.iot import stored

EXAMPLES = 250  # per transport group
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))

scalars = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40))
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=12), inner, max_size=5), max_leaves=10)


def plausible(ids: dict) -> st.SearchStrategy:
    return (st.sampled_from(sorted(ids.values())) | st.integers(min_value=-5, max_value=400)
            | st.floats(min_value=-10, max_value=400) | st.sampled_from([*KINDS, "ok", "taken", "validated", ""])
            | st.just(datetime(2026, 11, 28, 9).isoformat() + "Z") | st.booleans())


def shaped(fields: list[str], ids: dict) -> st.SearchStrategy:
    """An object with (some of) the event's own fields, each junk or plausible."""
    value = junk | plausible(ids)
    keys = st.sampled_from(fields) | st.text(max_size=8) if fields else st.text(max_size=8)
    return st.fixed_dictionaries({}, optional={f: value for f in fields}) | st.dictionaries(keys, value, max_size=6)


def readings(ids: dict) -> st.SearchStrategy:
    kinds = st.sampled_from(list(KINDS)) | st.text(max_size=8)
    reading = (st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-2**70, max_value=2**70)
               | st.fixed_dictionaries({"value": junk | st.floats(0, 300), "unit": junk | st.just("bpm")}) | junk)
    frame = st.fixed_dictionaries({"readings": st.dictionaries(kinds, reading, max_size=4)}, optional={
        "seq": st.integers(min_value=-2**70, max_value=2**70) | junk, "ts": junk | st.floats(), "patient_id": junk
        | st.sampled_from(sorted(ids.values()))})
    return frame | junk


class WirePacket(socketio.packet.Packet):
    """The client side writes packets with the standard json module, as a browser would: NaN, Infinity
    and integers beyond 64 bits reach the server as text (the in-process client would otherwise share
    the server's orjson encoder, which cannot write them)."""

    json = json


def wire_client() -> socketio.AsyncClient:
    return socketio.AsyncClient(reconnection=False, serializer=WirePacket)


def fields_of(model) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()] if model is not None else []


def envelope_problem(ack) -> str | None:
    """None when `ack` is a well-formed Socket.IO acknowledgement that is not an internal error."""
    if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
        return f"not an envelope: {ack!r}"[:200]
    if ack["ok"]:
        return None if set(ack) == {"ok", "data"} else f"ok with extra keys: {sorted(ack)}"
    error = ack.get("error")
    if set(ack) != {"ok", "error"} or not isinstance(error, dict) or not isinstance(error.get("code"), str) \
            or not isinstance(error.get("message"), str):
        return f"bad error envelope: {ack!r}"[:200]
    return "internal error" if error["code"] == "internal" else None


def run_in_thread(loop: asyncio.AbstractEventLoop, coro, timeout: float = 30):
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


async def assert_nothing_malformed(app, the) -> int:
    """Every stored reading is a well-formed message of the cast's device for its patient; chat messages
    and chatbot questions are bounded text in their conversation; the device's battery is a percentage."""
    docs = await stored(app[DB])
    for doc in docs:
        assert set(doc) == {"_id", "source", *MESSAGE_FIELDS}, doc
        assert doc["device_id"] == the.ids["device"] and doc["patient_id"] == the.ids["pat"], doc
        assert isinstance(doc["seq"], int) and isinstance(doc["ts"], datetime), doc
        assert doc["readings"] and set(doc["readings"]) <= set(KINDS), doc
        for kind, r in doc["readings"].items():
            assert math.isfinite(r["value"]) and KINDS[kind].lo <= r["value"] <= KINDS[kind].hi, doc
    for msg in await app[DB][CHAT_MESSAGES].find({}).to_list(None):  # fuzzed chat:send
        assert isinstance(msg["text"], str) and 1 <= len(msg["text"]) <= MAX_TEXT, msg
        assert msg["conversation_id"] == the.ids["conversation"], msg
    for turn in await app[DB][CHATBOT_HISTORY].find({}).to_list(None):  # fuzzed chatbot:message
        assert isinstance(turn["question"], str) and 1 <= len(turn["question"]) <= MAX_QUESTION, turn
    device = await app[DB]["devices"].find_one({"_id": the.ids["device"]})
    battery = device.get("battery")
    assert battery is None or (isinstance(battery, int | float) and 0 <= battery <= 100), device
    return len(docs)


async def _still_serving(api, the) -> None:
    status, _ = await api.call("GET", "/health")
    assert status == 200
    status, answer = await api.call("POST", "/api/iot/data", the.device_token,
                                    json={"seq": 999_999, "readings": {"heart_rate": 64}})
    assert status == 200 and answer["status"] == "accepted", answer


async def test_socket_events_answer_every_payload(api, app):
    the = await cast(api)
    loop = asyncio.get_running_loop()
    handlers = app[SIO].handlers
    inbound = {e.name for e in events.CATALOGUE if e.direction == events.IN}
    targets = []  # (namespace, event, payload fields)
    for ns in ("/", events.CHATBOT_NAMESPACE, events.DEVICES_NAMESPACE):
        for name, handler in handlers.get(ns, {}).items():
            if name in inbound:
                targets.append((ns, name, fields_of(getattr(handler, "payload_model", None))))
    assert {name for _, name, _ in targets} == inbound  # every client event of the catalogue is fuzzed
    roles = ("pat", "other", "doc", "stranger", "ph1", "admin")
    clients: dict[str, socketio.AsyncClient] = {}
    for role in roles:
        clients[role] = wire_client()
        await clients[role].connect(api.base_url, auth={"token": the.token(role)}, transports=["websocket"],
                                    namespaces=["/", events.CHATBOT_NAMESPACE], wait_timeout=10)
    device = clients["device"] = wire_client()
    await device.connect(api.base_url, auth={"device_id": the.ids["device"], "token": the.device_token},
                         transports=["websocket"], namespaces=[events.DEVICES_NAMESPACE], wait_timeout=10)
    counts: Counter = Counter()
    problems: list[str] = []
    ids = {k: v for k, v in the.ids.items() if isinstance(v, str)}
    event = st.sampled_from(targets).flatmap(lambda t: st.tuples(
        st.just(t), readings(ids) if t[1] == events.VITALS_SEND else shaped(t[2], ids) | junk))

    @SETTINGS
    @given(target_payload=event, role=st.sampled_from(roles), extra=st.sampled_from([()] * 9 + [("x",)]),
           unknown=st.sampled_from([None] * 9 + ["no:such_event"]))
    def one(target_payload, role, extra, unknown):
        (ns, name, _), payload = target_payload
        sender = device if ns == events.DEVICES_NAMESPACE else clients[role]
        data = (payload, *extra) if extra else payload
        try:
            ack = run_in_thread(loop, sender.call(unknown or name, data, namespace=ns, timeout=15))
        except socketio.exceptions.TimeoutError:
            ack = "no ack within 15 s"
        counts[f"{ns} {ack.get('ok') or ack.get('error', {}).get('code') if isinstance(ack, dict) else ack}"] += 1
        if (problem := envelope_problem(ack)) is not None:
            problems.append(f"{unknown or name} on {ns} as {role} with {data!r}"[:300] + f": {problem}")

    try:
        await asyncio.to_thread(one)
        assert all(c.connected for c in clients.values())  # no socket was dropped for what it sent
    finally:
        for client in clients.values():
            await client.disconnect()
    assert not problems, "\n".join(problems[:20])
    assert sum(counts.values()) >= EXAMPLES, counts
    await _still_serving(api, the)
    stored = await assert_nothing_malformed(app, the)
    print(f"socket events: {sum(counts.values())} sent, {stored} readings stored; {dict(counts)}")


async def test_device_frames_over_websocket_http_and_lorawan(api, app):
    the = await cast(api)
    loop = asyncio.get_running_loop()
    ids = {k: v for k, v in the.ids.items() if isinstance(v, str)}
    url = api.base_url.replace("http://", "ws://") + f"/ws/iot/{the.ids['device']}/?token={the.device_token}"
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(url)
    counts: Counter = Counter()
    problems: list[str] = []
    frame_types = st.sampled_from(["sensor_data", "realtime_data", "vitals", "iot_data", "heartbeat", "command_ack",
                                   "mystery"]) | junk
    ws_frame = (st.builds(lambda t, body: {"type": t, **body} if isinstance(body, dict) else body, frame_types,
                          readings(ids) | shaped(["battery", "rssi", "uptime", "free_heap", "command_id", "ok",
                                                  "result", "heart_rate", "spo2", "device_mac", "data"], ids))
                .map(lambda f: json.dumps(f, allow_nan=True)) | st.text(max_size=60))
    eui = "70B3D57ED0000001"
    uplink = st.fixed_dictionaries({
        "end_device_ids": st.fixed_dictionaries({"dev_eui": st.sampled_from([eui, eui.lower()]) | junk}) | junk,
        "uplink_message": st.fixed_dictionaries({}, optional={
            "frm_payload": st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode()) | junk,
            "decoded_payload": readings(ids) | junk, "f_cnt": junk | st.integers(), "f_port": junk,
            "received_at": junk})}) | junk
    chirp = st.fixed_dictionaries({"deviceInfo": st.fixed_dictionaries({"devEui": st.just(eui.lower()) | junk}),
                                   "data": st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode()) | junk,
                                   "object": readings(ids) | junk, "fCnt": junk}) | junk
    device_auth = {"Authorization": f"Bearer {the.device_token}"}
    lora_auth = {"X-Webhook-Secret": WEBHOOK_SECRET}
    http = st.one_of(
        st.tuples(st.just("/api/iot/data"), readings(ids), st.just(device_auth)),
        st.tuples(st.just("/api/iot/batch"), st.fixed_dictionaries({
            "measurements": st.lists(readings(ids), max_size=4)}) | junk, st.just(device_auth)),
        st.tuples(st.just("/api/iot/heartbeat"), shaped(["battery", "rssi", "uptime", "free_heap", "firmware"], ids)
                  | junk, st.just(device_auth)),
        st.tuples(st.just("/api/iot/lorawan/tts"), uplink, st.just(lora_auth)),
        st.tuples(st.just("/api/iot/lorawan/chirpstack"), chirp, st.just(lora_auth)))

    async def over_ws(text: str) -> dict | str:
        await ws.send_str(text)
        msg = await ws.receive(timeout=20)
        return json.loads(msg.data) if msg.type == aiohttp.WSMsgType.TEXT else f"closed: {msg.type}"

    async def over_http(path: str, body, headers: dict) -> tuple[int, object]:
        raw = json.dumps(body, allow_nan=True).encode()
        async with session.post(api.base_url + path, data=raw, headers={**headers, "Content-Type":
                                                                       "application/json"}) as resp:
            return resp.status, await resp.json(content_type=None)

    @SETTINGS
    @given(text=ws_frame)
    def one_ws(text):
        reply = run_in_thread(loop, over_ws(text))
        counts[f"ws {reply.get('type') if isinstance(reply, dict) else reply}"] += 1
        if not isinstance(reply, dict) or reply.get("type") not in ("ack", "rejected", "error") \
                or reply.get("code") == "internal":
            problems.append(f"ws {text[:200]!r}: {reply!r}"[:300])

    @SETTINGS
    @given(request=http)
    def one_http(request):
        path, body, headers = request
        status, answer = run_in_thread(loop, over_http(path, body, headers))
        counts[f"{path} {status}"] += 1
        if status >= 500 or (status >= 400 and (not isinstance(answer, dict) or set(answer) != {"error"})):
            problems.append(f"{path} {json.dumps(body, allow_nan=True)[:200]}: {status} {answer!r}"[:300])

    try:
        await asyncio.to_thread(one_ws)
        await asyncio.to_thread(one_http)
        assert not ws.closed
    finally:
        await ws.close()
        await session.close()
    assert not problems, "\n".join(problems[:20])
    await _still_serving(api, the)
    stored = await assert_nothing_malformed(app, the)
    print(f"device frames: {sum(counts.values())} sent, {stored} readings stored; {dict(counts)}")
