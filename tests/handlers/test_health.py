"""Probes and CORS."""

from __future__ import annotations


async def test_health_and_ready(api):
    assert await api.call("GET", "/health") == (200, {"status": "ok"})
    assert await api.call("GET", "/ready") == (200, {"status": "ready", "database": "ok"})


async def test_cors_allows_only_listed_origins(client):
    ok = await client.options("/api/token/", headers={"Origin": "http://localhost:5173",
                                                      "Access-Control-Request-Method": "POST"})
    assert ok.headers.get("Access-Control-Allow-Origin") == "http://localhost:5173"
    bad = await client.options("/api/token/", headers={"Origin": "http://evil.example",
                                                       "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in bad.headers
