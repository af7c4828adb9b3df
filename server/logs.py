"""Logging set-up: stdlib logging with a request id on every line, as text or JSON (LOG_FORMAT).

The request id and the socket id live in context variables, so they follow the task that serves a
request or an event through every module without being passed around. `security_event()` writes
the security audit stream (logger `fadjma.security`): sign-ins, lockouts, grant changes, token
revocations, role and admin actions, one record each, with its fields kept apart for JSON.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
socket_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("socket_id", default=None)
SECURITY = "fadjma.security"
security_log = logging.getLogger(SECURITY)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.socket_id = socket_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and socket ids, the security
    event's fields, and the traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        sid = getattr(record, "socket_id", None)
        if sid:
            out["socket_id"] = sid
        if (event := getattr(record, "security", None)) is not None:
            out["security"] = event
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log repeats what our middleware logs; engineio is chatty at INFO.
    for noisy in ("aiohttp.access", "engineio.server", "socketio.server", "pymongo"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # The security audit is written whatever LOG_LEVEL says (a quiet WARNING log still records sign-ins).
    logging.getLogger(SECURITY).setLevel(logging.INFO)
    redact_bad_requests()


def security_event(action: str, outcome: str = "ok", **fields: Any) -> None:
    """One security audit record (`fadjma.security`): `action` (login, lockout, grant, revoke, role…),
    `outcome`, and who/what (user ids, usernames, the client address). Never health data."""
    event = {"action": action, "outcome": outcome, **{k: v for k, v in fields.items() if v is not None}}
    text = " ".join(f"{k}={v}" for k, v in event.items() if k not in ("action", "outcome"))
    security_log.info("security %s %s %s", action, outcome, text, extra={"security": event})


class _RedactBadRequests(logging.Filter):
    """aiohttp logs a malformed request with its exception, whose text quotes the offending line: an
    oversized `Authorization` header put the first 100 bytes of a token in the log. Keep the class
    and the status, drop the text and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg, record.args = "bad HTTP request refused: %s (%s)", (type(exc).__name__, exc.code)
            record.exc_info, record.exc_text, record.levelno, record.levelname = None, None, logging.INFO, "INFO"
        return True


_REDACT = _RedactBadRequests()


def redact_bad_requests() -> None:
    """Install the redaction on aiohttp's server logger (idempotent; called by create_app too)."""
    logger = logging.getLogger("aiohttp.server")
    if _REDACT not in logger.filters:
        logger.addFilter(_REDACT)
