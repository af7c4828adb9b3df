"""What the contract fuzzers found, each kept as a regression test."""

from __future__ import annotations

import pytest

from tests.contract.cast import cast

BEYOND_INT64 = 2**63 + 5  # MongoDB stores 64-bit integers: pymongo raised OverflowError (a 500)


@pytest.mark.parametrize("path", ["/api/notifications?before_seq={n}",
                                  "/api/chat/conversations/{conv}/messages/?before_seq={n}"])
async def test_a_sequence_number_beyond_64_bits_is_a_field_error(api, path):
    the = await cast(api)
    status, answer = await the.world.call("pat", "GET", path.format(n=BEYOND_INT64, conv=the.ids["conversation"]))
    assert status == 400, answer
    assert answer["error"]["details"][0]["field"] == "before_seq"


async def test_read_receipt_and_heartbeat_numbers_beyond_64_bits_are_field_errors(api):
    the = await cast(api)
    status, answer = await the.world.call("pat", "POST", f"/api/chat/conversations/{the.ids['conversation']}/read/",
                                          {"seq": BEYOND_INT64})
    assert status == 400 and answer["error"]["details"][0]["field"] == "seq", answer
    status, answer = await api.call("POST", "/api/iot/heartbeat", the.device_token, json={"uptime": BEYOND_INT64})
    assert status == 400 and answer["error"]["details"][0]["field"] == "uptime", answer
