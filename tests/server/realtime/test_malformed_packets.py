"""Malformed Socket.IO packets, written on the wire as a misbehaving client would: each one gets an
error envelope on its ack id (never a traceback, never silence), and the socket keeps working."""

from __future__ import annotations

import orjson
import pytest

from tests.support.iot import people, provision


async def handshake(api, auth: dict, namespace: str = ""):
    ws = await api.client.ws_connect("/socket.io/?EIO=4&transport=websocket")
    try:
        return await _open(ws, auth, namespace)
    except BaseException:
        await ws.close()
        raise


async def _open(ws, auth: dict, namespace: str):
    assert (await ws.receive_str(timeout=10)).startswith("0{")  # Engine.IO open
    prefix = f"{namespace}," if namespace else ""
    await ws.send_str(f"40{prefix}{orjson.dumps(auth).decode()}")
    while True:
        msg = await ws.receive_str(timeout=10)
        if msg.startswith("40"):
            return ws, prefix
        assert msg.startswith("42"), msg  # replayed events may come first


async def ask(ws, prefix: str, ack_id: int, body: str):
    await ws.send_str(f"42{prefix}{ack_id}{body}")
    while True:
        msg = await ws.receive_str(timeout=10)
        if msg == "2":  # Engine.IO ping
            await ws.send_str("3")
        elif msg.startswith(f"43{prefix}{ack_id}["):
            return orjson.loads(msg[len(f"43{prefix}{ack_id}"):])[0]


CASES = [
    ('["vitals:watch",{"patient_id":NaN}]', "invalid_json"),
    ('["vitals:watch",{"patient_id":Infinity}]', "invalid_json"),
    ('["vitals:watch",{"patient_id":"x"},2,3]', "invalid_packet"),   # three arguments
    ('["vitals:watch","not an object"]', "invalid"),
    ('["vitals:watch",[1,2]]', "invalid"),
    ('["vitals:watch",{"patient_id":', "invalid_json"),               # cut short
    ("[]", "invalid_json"),                                           # no event name
    ('["no:such:event",{}]', "unknown_event"),
    ("{}", "invalid_packet"),                                         # an object, not an event list
    ('{"0":"vitals:watch"}', "invalid_packet"),
    ('[1,{"patient_id":"x"}]', "invalid_packet"),                     # event name not a string
    ('[{"patient_id":"x"}]', "invalid_packet"),                       # an object as the event name
    ("[null]", "invalid_packet"),
    ('"vitals:watch"', "invalid_packet"),
    ("true", "invalid_packet"),
    ("null", "invalid_packet"),
]


async def test_every_malformed_user_packet_gets_an_error_envelope(api, caplog):
    _, token = await api.user("pat9", "patient")
    ws, prefix = await handshake(api, {"token": token})
    try:
        acks = [await ask(ws, prefix, i, body) for i, (body, _) in enumerate(CASES, start=1)]
        # The socket still works.
        ok = await ask(ws, prefix, 99, '["vitals:unwatch",{"patient_id":"someone"}]')
    finally:
        await ws.close()
    assert [(a["ok"], a["error"]["code"]) for a in acks] == [(False, code) for _, code in CASES]
    assert ok["ok"] is True
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info] == []


@pytest.mark.parametrize(("body", "code"), [
    ('["vitals:send",{"seq":1,"readings":{"spo2":NaN}}]', "invalid_json"),
    ('["vitals:send",{"seq":1},2,3]', "invalid_packet"),
    ('["vitals:send","junk"]', "rejected"),
    ('["device:heartbeat",[1]]', "invalid"),
    ('{"seq":1}', "invalid_packet"),
    ('[7,{"seq":1}]', "invalid_packet"),
])
async def test_every_malformed_device_packet_gets_an_error_envelope(api, caplog, body, code):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    ws, prefix = await handshake(api, {"device_id": dev["id"], "token": dev["token"]}, "/devices")
    try:
        ack = await ask(ws, prefix, 1, body)
    finally:
        await ws.close()
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info] == []
