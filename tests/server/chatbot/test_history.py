"""Chatbot history: per user, in order even at one clock instant, capped, cleared by its owner only."""

from __future__ import annotations

from server.chatbot import history as history_module
from server.chatbot.history import ChatbotHistory
from server.clock import FakeClock
from server.keys import DB


async def test_order_cap_and_clear(client, monkeypatch):
    monkeypatch.setattr(history_module, "KEEP", 3)
    h = ChatbotHistory(client.app[DB], FakeClock())  # the clock never moves: order from the ids
    for i in range(5):
        await h.add("u1", f"q{i}", f"a{i}", mode="offline", red_flags=[], grounded=False)
    await h.add("u2", "other", "x", mode="offline", red_flags=[], grounded=False)
    assert [d["question"] for d in await h.recent("u1", 10)] == ["q2", "q3", "q4"]
    assert [d["question"] for d in await h.recent("u1", 2)] == ["q3", "q4"]
    assert await h.recent("u1", 0) == []
    assert await h.clear("u1") == 3
    assert [d["question"] for d in await h.recent("u2", 10)] == ["other"]
