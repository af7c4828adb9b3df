"""What the contract fuzzers found, each kept as a regression test."""

from __future__ import annotations

from server.keys import DB
from tests.contract.cast import WEBHOOK_SECRET, cast
from tests.support.iot import stored_count

BEYOND_INT64 = 2**63 + 5  # MongoDB stores 64-bit integers: pymongo raised OverflowError (a 500)


async def test_numbers_beyond_64_bits_are_field_errors(api):
    the = await cast(api)
    for path in ("/api/notifications?before_seq={n}", "/api/chat/conversations/{conv}/messages/?before_seq={n}"):
        status, answer = await the.world.call("pat", "GET", path.format(n=BEYOND_INT64, conv=the.ids["conversation"]))
        assert status == 400 and answer["error"]["details"][0]["field"] == "before_seq", (path, answer)
    status, answer = await the.world.call("pat", "POST", f"/api/chat/conversations/{the.ids['conversation']}/read/",
                                          {"seq": BEYOND_INT64})
    assert status == 400 and answer["error"]["details"][0]["field"] == "seq", answer
    status, answer = await api.call("POST", "/api/iot/heartbeat", the.device_token, json={"uptime": BEYOND_INT64})
    assert status == 400 and answer["error"]["details"][0]["field"] == "uptime", answer


async def test_lorawan_ids_that_are_not_strings_are_refused_not_a_500_nor_an_operator(api):
    the = await cast(api)
    secret = {"X-Webhook-Secret": WEBHOOK_SECRET}
    uplink = {"uplink_message": {"frm_payload": "AAAA", "f_cnt": 1}}
    # a query operator where an id belongs matched any device (pymongo took the dict as `$ne`)
    for ids in ({"device_id": {"$ne": None}}, {"dev_eui": {"$gt": ""}}, {"dev_eui": ["70B3D57ED0000001"]}):
        status, answer = await api.call("POST", "/api/iot/lorawan/tts", json={"end_device_ids": ids, **uplink},
                                        headers=dict(secret))
        assert status == 400 and answer["error"]["code"] == "invalid", (ids, status, answer)
    for body in ({"end_device_ids": ["x"], **uplink}, {"deviceInfo": "x", "data": "AAAA"}):
        path = "/api/iot/lorawan/tts" if "end_device_ids" in body else "/api/iot/lorawan/chirpstack"
        status, answer = await api.call("POST", path, json=body, headers=dict(secret))
        assert status == 400 and answer["error"]["code"] == "invalid", (body, status, answer)
    assert await stored_count(the.world.api.client.app[DB]) == 0


async def test_unknown_and_malformed_events_on_the_chatbot_namespace_are_answered(api):
    from server.realtime import events
    from tests.contract.test_fuzz_frames import wire_client
    the = await cast(api)
    client = wire_client()
    await client.connect(api.base_url, auth={"token": the.token("pat")}, transports=["websocket"],
                         namespaces=[events.CHATBOT_NAMESPACE], wait_timeout=10)
    try:
        unknown = await client.call("no:such_event", {}, namespace=events.CHATBOT_NAMESPACE, timeout=10)
        nan = await client.call(events.CHATBOT_MESSAGE, {"message": float("nan")}, namespace=events.CHATBOT_NAMESPACE,
                                timeout=10)
    finally:
        await client.disconnect()
    assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_event", unknown
    assert nan["ok"] is False and nan["error"]["code"] == "invalid_json", nan
