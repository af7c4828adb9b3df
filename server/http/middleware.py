"""REST plumbing: request ids, one translation of domain errors, token authentication.

Handlers raise `DomainError`s; `error_middleware` is the only place that turns them
into HTTP responses, so every 4xx has the same JSON shape:
`{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from models.common import M, parse
from models.errors import DomainError, Forbidden, Invalid, RateLimited, Unavailable
from models.identity import Identity
from server.keys import AUTH, DB
from server.logs import request_id
from server.storage.outage import is_unavailable

log = logging.getLogger(__name__)


def json_response(data, status: int = 200, **kw) -> web.Response:
    return web.Response(body=orjson.dumps(data, default=_default), status=status,
                        content_type="application/json", **kw)


def paged_response(request: web.Request, items: list, next_cursor: str | None) -> web.Response:
    """A page of a list (server/storage/paging.py): the items, and when there is more (the list was
    truncated) `X-Next-Cursor` and `Link: <same query with cursor=…>; rel="next"`."""
    headers = {}
    if next_cursor:
        url = request.rel_url.update_query({"cursor": next_cursor})
        headers = {"X-Next-Cursor": next_cursor, "Link": f'<{url}>; rel="next"'}
    return json_response(items, headers=headers)


def _default(obj):
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def error_response(exc: DomainError) -> web.Response:
    headers = {"WWW-Authenticate": f'Bearer error="{exc.code}"'} if exc.status == 401 else None
    if isinstance(exc, RateLimited | Unavailable):
        headers = {"Retry-After": str(exc.retry_after)}
    return json_response({"error": exc.to_body()}, status=exc.status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler):
    rid = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex[:16]
    request_id.set(rid)
    try:
        response = await handler(request)
    except DomainError as exc:
        log.info("%s %s -> %s %s", request.method, request.path, exc.status, exc.code)
        response = error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        body = {"code": exc.reason.lower().replace(" ", "_"), "message": exc.reason, "details": None}
        response = json_response({"error": body}, status=exc.status)
    except Exception as exc:
        away = unavailable(request.app, exc, f"{request.method} {request.path}")
        if away is not None:  # the database is away: the outage logs it once per interval
            response = error_response(away)
        else:
            log.exception("unhandled error on %s %s", request.method, request.path)
            response = json_response({"error": {"code": "internal", "message": "Internal server error",
                                                "details": None}}, status=500)
    response.headers["X-Request-ID"] = rid
    return response


def polling_limit(path: str, max_bytes: int):
    """Engine.IO long-polling POSTs over `max_bytes` answered 413 before python-engineio reads them: its
    own ContentTooLongError path answers nothing and then waits for a poll that never comes, which
    also kept SIGTERM from stopping the server. engineio reads exactly Content-Length bytes, so a body
    without one (chunked) is refused too (411) rather than silently read as empty."""

    @web.middleware
    async def limit_polling(request: web.Request, handler):
        if request.method == "POST" and request.path.startswith(path):
            if request.content_length is None and request.body_exists:
                return json_response({"error": {"code": "length_required", "details": None,
                                                "message": "A polling POST needs a Content-Length"}}, status=411)
            if (request.content_length or 0) > max_bytes:
                log.info("polling POST of %d bytes refused (limit %d)", request.content_length, max_bytes)
                return json_response({"error": {"code": "payload_too_large", "details": {"max_bytes": max_bytes},
                                                "message": f"A polling POST carries at most {max_bytes} bytes"}},
                                     status=413, headers={"Connection": "close"})
        return await handler(request)

    return limit_polling


def unavailable(app: web.Application, exc: BaseException, what: str) -> Unavailable | None:
    """The answer when `exc` means the database is away (503 / `retry_later`), counted in the app's
    outage log; None for any other failure. Also used by the raw device WebSocket."""
    db = app.get(DB)
    if db is not None:
        return db.outage.translate(exc, what)
    return Unavailable() if is_unavailable(exc) else None


async def read_json(request: web.Request, empty: Any = None, *, required: bool = False,
                    object_only: bool = False) -> Any:
    """The JSON body (`empty` when there is none, unless `required`); a non-JSON body is a clear 400
    `invalid_json`, not a 500. The one JSON-body reader: `read_body`, the device and LoRaWAN adapters."""
    raw = await request.read()
    try:
        data = orjson.loads(raw) if raw or required else empty
    except orjson.JSONDecodeError:
        raise Invalid("The body is not valid JSON", code="invalid_json") from None
    if object_only and not isinstance(data, dict):
        raise Invalid("The body must be a JSON object")
    return data


async def read_body(request: web.Request, model: type[M]) -> M:
    """Parse the JSON body into `model` (field errors as a 400 with details)."""
    return parse(model, await read_json(request, {}))


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


Handler = Callable[[web.Request, Identity], Awaitable[web.StreamResponse]]


def authenticated(*roles: str) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Require a valid access token (401 otherwise) and, if given, one of `roles` (403)."""

    def wrap(fn: Handler):
        @functools.wraps(fn)
        async def inner(request: web.Request) -> web.StreamResponse:
            identity = await request.app[AUTH].authenticate(bearer(request))
            if roles and identity.role not in roles:
                raise Forbidden(f"This action is for: {', '.join(roles)}", code="role_forbidden")
            return await fn(request, identity)
        inner.roles = roles  # read by server/http/openapi.py: the security of the operation
        return inner

    return wrap
