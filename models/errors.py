"""Domain errors, raised by handlers and engines and translated once per transport.

REST turns them into a 4xx JSON body (`server.http.middleware`); sockets turn them into
the acknowledgement envelope (`server.realtime.sockets.ack`). Both use `to_body()`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def to_body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class Invalid(DomainError):
    status = 400
    code = "invalid"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    """Too many requests: HTTP 429 with `Retry-After`; `details.retry_after` in seconds for sockets."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"retry_after": retry_after})
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency (the database) is away for a moment: HTTP 503 with `Retry-After`; socket ack and device
    frames `retry_later` with `details.retry_after`. The client keeps its data and sends it again."""

    status = 503
    code = "retry_later"

    def __init__(self, message: str = "The service is briefly unavailable; retry later", *,
                 retry_after: int = 5) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as a flat list of {field, message, type} a client can show."""
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        out.append({"field": loc, "message": err["msg"], "type": err["type"]})
    return out


def invalid_from(exc: ValidationError) -> Invalid:
    return Invalid("The request has invalid fields", details=field_errors(exc))
