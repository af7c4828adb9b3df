"""The OpenAPI 3.1 document, generated from the routes and the pydantic models their handlers parse.

A handler declares its operation with one decorator line, above `@authenticated`:

    @operation("Create a prescription", body=PrescriptionIn, status=201, errors=(409,))

`document(app)` walks `app.router.routes()`: the path and its parameters come from the route,
the security and the 401/403 answers from `@authenticated(*roles)` (users: a bearer JWT) or
`auth="device"` / `auth="webhook"`, the request body and query from the models, the error answers
from the one envelope `server.http.middleware` writes. A route that is neither declared nor listed
in `NOT_OPENAPI` (with its reason) fails tests/server/http/test_openapi.py, naming the handler.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter

# Spaces of the router that are not JSON operations: prefix -> why.
NOT_OPENAPI: dict[str, str] = {
    "/socket.io/": "Socket.IO (events: the README's event catalogue, server/realtime/events.py)",
    "/ws/": "raw WebSockets (device frames and the earlier chatbot/chat protocols: README)",
    "/fhir/": "FHIR R4 space: its contract is FHIR's (CapabilityStatement), not this document",
    "/assets/": "the web app's hashed static files",
    "/{tail": "the web app's client routes (index.html)",
    "/metrics": "Prometheus text exposition for the scraper, not JSON; 404 unless METRICS_TOKEN/METRICS_ALLOW",
}

JSON = "application/json"
ERROR = {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}}}
OBJECT: dict = {"type": "object"}
ARRAY: dict = {"type": "array", "items": {"type": "object"}}
REASONS = {400: "Invalid input (field errors in `details`)", 401: "Missing, expired or revoked credentials",
           403: "Not allowed for this caller", 404: "No such object, or not visible to this caller",
           409: "Conflict with the current state", 413: "Body too large", 422: "Rejected reading",
           429: "Rate limited (see `Retry-After`)", 503: "A dependency is unavailable; retry later"}
SECURITY = {
    "user": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
             "description": "A user's access token from `POST /api/token/`."},
    "device": {"type": "http", "scheme": "bearer",
               "description": "A device token (shown once when an admin provisions the device)."},
    "webhook": {"type": "apiKey", "in": "header", "name": "X-Webhook-Secret",
                "description": "LORAWAN_WEBHOOK_SECRET (or as `Authorization: Bearer`)."},
}


@dataclass(frozen=True)
class Operation:
    summary: str
    body: Any = None  # a pydantic model, any type pydantic can describe, or a raw JSON schema dict
    query: type[BaseModel] | None = None
    response: Any = None  # likewise; None: a JSON object
    status: int = 200
    auth: str | None = None  # "device" / "webhook"; users come from @authenticated
    errors: tuple[int, ...] = ()
    also: tuple[int, ...] = ()  # other success statuses, same schema
    paged: bool = False  # X-Next-Cursor / Link headers (server.http.middleware.paged_response)
    content_type: str = JSON
    # OpenAPI links from the success answer: {target operationId: {its parameter: "$response.body#/id"}};
    # Schemathesis' stateful run follows them (create, then read, change, delete what was created).
    links: dict[str, dict[str, str]] | None = None


def operation(summary: str, **fields: Any) -> Callable:
    """Declare a handler's operation (the fields of `Operation`); put it above `@authenticated`."""
    op = Operation(summary, **fields)

    def mark(fn: Callable) -> Callable:
        fn.openapi = op
        return fn

    return mark


def follow(param: str, *targets: str) -> dict[str, dict[str, str]]:
    """`links=` for a creation: each target operation takes the created object's `id` as `param`."""
    return {target: {param: "$response.body#/id"} for target in targets}


def excluded(path: str) -> str | None:
    return next((why for prefix, why in NOT_OPENAPI.items() if path.startswith(prefix)), None)


def undeclared(app: web.Application) -> list[str]:
    """Every (method, path) the router serves without an operation, as a line telling what to add."""
    out = []
    for method, path, handler in _routes(app):
        if excluded(path) is None and getattr(handler, "openapi", None) is None:
            where = f"{handler.__module__.replace('.', '/')}.py: {handler.__qualname__}"
            out.append(f"{method} {path} ({where}): add `@operation(\"<summary>\", body=<In model>, "
                       f"query=<Query model>, response=<Out model>)` from server.http.openapi above it, "
                       f"or list its prefix in server.http.openapi.NOT_OPENAPI with the reason")
    return out


def _routes(app: web.Application):
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS") or route.resource is None:
            continue
        yield route.method, route.resource.canonical, route.handler


class _Schemas:
    """JSON schemas of models, their definitions hoisted into components.schemas."""

    def __init__(self) -> None:
        self.components: dict[str, dict] = {}

    def of(self, kind: Any, mode: str) -> dict:
        if kind is None:
            return OBJECT
        if isinstance(kind, dict):
            return kind
        schema = TypeAdapter(kind).json_schema(mode=mode, ref_template="#/components/schemas/{model}")
        self.components.update(schema.pop("$defs", {}))
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            self.components[kind.__name__] = schema
            return {"$ref": f"#/components/schemas/{kind.__name__}"}
        return schema

    def parameters(self, query: type[BaseModel] | None) -> list[dict]:
        if query is None:
            return []
        schema = query.model_json_schema(ref_template="#/components/schemas/{model}")
        self.components.update(schema.pop("$defs", {}))
        required = set(schema.get("required", ()))
        return [{"name": name, "in": "query", "required": name in required, "schema": prop}
                for name, prop in schema.get("properties", {}).items()]


def _responses(op: Operation, schemas: _Schemas, roles: tuple | None, path_params: list[str], write: bool) -> dict:
    ok: dict = {"description": op.summary,
                "content": {op.content_type: {"schema": schemas.of(op.response, "serialization")}}}
    if op.status == 204:
        ok = {"description": op.summary}  # no body
    if op.paged:
        ok["headers"] = {"X-Next-Cursor": {"schema": {"type": "string"}, "description": "More: the next page"}}
    codes = {429, 503, *op.errors}
    if op.body is not None or op.query is not None or path_params:
        codes.add(400)
    if roles is not None:  # beyond the role, services refuse through rooms (403) and hide what is not yours (404)
        codes.update((400, 401, 403, 404, *((409,) if write else ())))  # a write can lose a race or meet a duplicate
    elif op.auth:
        codes.update((401, 403))
    if op.links:
        ok["links"] = {target: {"operationId": target, "parameters": params} for target, params in op.links.items()}
    out = {str(status): ok for status in (op.status, *op.also)}
    for code in sorted(codes):
        out[str(code)] = {"description": REASONS.get(code, "Error"), "content": {JSON: {"schema": {
            "$ref": "#/components/schemas/Error"}}}}
    return out


def _operation(method: str, path: str, handler: Any, op: Operation, schemas: _Schemas) -> dict:
    roles = getattr(handler, "roles", None)  # set by @authenticated; () means any signed-in user
    path_params = [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]
    doc: dict = {"operationId": f"{handler.__module__.rsplit('.', 1)[-1]}.{handler.__name__}".replace("_", "-"),
                 "summary": op.summary, "tags": [handler.__module__.rsplit(".", 1)[-1]],
                 "parameters": [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                                for p in path_params] + schemas.parameters(op.query),
                 "responses": _responses(op, schemas, roles, path_params, method != "GET")}
    if roles is not None:
        doc["security"] = [{"user": []}]
        doc["description"] = f"For: {', '.join(roles)}." if roles else "For any signed-in user."
    elif op.auth:
        doc["security"] = [{op.auth: []}]
    else:
        doc["security"] = []
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {JSON: {"schema": schemas.of(op.body, "validation")}}}
    return doc


def document(app: web.Application, version: str = "1") -> dict:
    schemas = _Schemas()
    paths: dict[str, dict] = {}
    for method, path, handler in _routes(app):
        op = getattr(handler, "openapi", None)
        if op is None or excluded(path) is not None:
            continue
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, handler, op, schemas)
    schemas.components["Error"] = ERROR
    return {"openapi": "3.1.0",
            "info": {"title": "Fadjma", "version": version,
                     "description": "Every JSON operation of the server. Errors share one envelope "
                                    "`{error: {code, message, details}}`. Socket.IO events: the README's catalogue."},
            "paths": dict(sorted(paths.items())),
            "components": {"schemas": dict(sorted(schemas.components.items())), "securitySchemes": SECURITY}}


def page(doc: dict) -> str:
    """A self-contained HTML list of the operations (no script: the CSP allows none inline or from a CDN)."""
    rows = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            who = op.get("description", "public" if not op["security"] else next(iter(op["security"][0])))
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{html.escape(op['summary'])}</td><td>{html.escape(who)}</td>"
                        f"<td>{', '.join(op['responses'])}</td></tr>")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fadjma API</title>"
            "<style>body{font-family:sans-serif;margin:2em}td{padding:.2em .6em;border-bottom:1px solid #ddd}"
            "</style></head><body><h1>Fadjma API</h1><p>The machine-readable contract: "
            "<a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1).</p><table><thead><tr><th>Method"
            "</th><th>Path</th><th>What</th><th>Who</th><th>Answers</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></body></html>")
