"""Requests aiohttp refuses before routing are answered in the error envelope, not text/plain."""

from __future__ import annotations

import asyncio

import orjson
import pytest


async def _raw(client, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 20)  # the connection is closed after the answer
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.decode().lower(): v.decode().strip() for k, _, v in (line.partition(b":") for line in lines)}
    return status, headers, body


@pytest.mark.parametrize("request_bytes", [
    # the Schemathesis case: a query longer than the 8190-byte request line aiohttp reads
    b"GET /api/people/names?ids=" + b"%C2%98" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"T" * 9000 + b"\r\n\r\n",
    b"GET /api/me HTTP/1.1\r\nHost x\r\n\r\n",  # a header line without its colon
])
async def test_an_unparsable_request_gets_the_json_envelope(client, request_bytes):
    status, headers, body = await _raw(client, request_bytes)
    assert b" 400 " in status
    assert headers["content-type"].startswith("application/json")
    assert orjson.loads(body) == {"error": {"code": "bad_request", "details": None, "message": (
        "The request is malformed, or its request line or a header is too long")}}
