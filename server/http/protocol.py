"""Answers aiohttp writes itself, before any route or middleware runs, in the one error envelope.

A request aiohttp cannot parse (a request line or header over 8190 bytes, a malformed line, a bad
method) never reaches `error_middleware`: `RequestHandler.handle_error` answers it in `text/plain`,
and an exception escaping every middleware the same way with 500. Clients (the web app, devices) and
the OpenAPI document expect `{error: {code, message}}` on every error (Schemathesis found a 9 KB
`GET /api/people/names?ids=…` answered in text/plain). This wraps that one method, once per process:
same status, same forced close, and the body in the envelope. The message is fixed: aiohttp's text
quotes the offending line (a token, in an oversized `Authorization` header); server/logs.py already
keeps it out of the log. aiohttp offers no hook for this (no signal runs: the request has no route).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web, web_protocol

MESSAGES = {400: ("bad_request", "The request is malformed, or its request line or a header is too long"),
            500: ("internal", "Internal server error")}


def _envelope(status: int) -> web.Response:
    code, message = MESSAGES.get(status, ("bad_request" if status < 500 else "internal", "Request refused"))
    body = orjson.dumps({"error": {"code": code, "message": message, "details": None}})
    response = web.Response(status=status, body=body, content_type="application/json")
    response.force_close()
    return response


def install() -> None:
    """Idempotent; called by create_app."""
    original = web_protocol.RequestHandler.handle_error
    if getattr(original, "fadjma_envelope", False):
        return

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> Any:
        original(self, request, status, exc, message)  # aiohttp's logging (redacted) and its checks
        return _envelope(status)

    handle_error.fadjma_envelope = True
    web_protocol.RequestHandler.handle_error = handle_error
