"""FHIR R4 REST routes under /fhir (read-only): metadata, Patient, Observation, DetectedIssue (alerts).

`application/fhir+json` both ways: `_format` (json, application/json, application/fhir+json) or
`Accept` choose the answer's format, anything else is a 406; a `_search` POST must be
form-encoded (415 otherwise). Every error, including 401, unknown paths (404) and methods
(405), is an OperationOutcome with the HTTP status. Mapping, search semantics and visibility
are in server/fhir/.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import orjson
from aiohttp import web

from models.errors import DomainError
from models.identity import Identity
from server.fhir import resources as res
from server.fhir.capability import capability_statement
from server.fhir.search import MAX_ISSUES, issue_query, observation_query, patient_query
from server.http.middleware import authenticated
from server.keys import FHIR

log = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json"
JSON_TYPES = {"json", "application/json", FHIR_JSON, "application/json+fhir", "*/*", "application/*"}
ISSUE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
         406: "not-supported", 409: "conflict", 415: "not-supported", 422: "processable", 429: "throttled"}
RESOURCES = ("metadata", "Patient", "Observation", "DetectedIssue")


class FhirError(DomainError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, code=ISSUE.get(status, "exception"))
        self.status = status


def fhir_response(body: dict, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, headers=headers,
                        content_type=FHIR_JSON, charset="utf-8")


def _negotiate(request: web.Request) -> None:
    fmt = request.query.get("_format")
    wanted = [fmt] if fmt is not None else [p for p in request.headers.get("Accept", "").split(",") if p.strip()]
    if wanted and not any(w.split(";")[0].strip().lower() in JSON_TYPES for w in wanted):
        raise FhirError(406, "This server answers application/fhir+json only (_format=json)")


def _outcome(exc: DomainError) -> web.Response:
    fields = [d["field"] for d in exc.details or [] if isinstance(d, dict) and d.get("field")]
    headers = {401: {"WWW-Authenticate": f'Bearer error="{exc.code}"'}, 405: {"Allow": "GET, HEAD"},
               429: {"Retry-After": str(getattr(exc, "retry_after", 1))}}.get(exc.status)
    return fhir_response(res.outcome(ISSUE.get(exc.status, "exception"), exc.message, fields or None),
                         exc.status, headers)


def route(fn: Callable[[web.Request], Awaitable[web.Response]]):
    """Content negotiation in, OperationOutcome for every error out."""

    @functools.wraps(fn)
    async def inner(request: web.Request) -> web.Response:
        try:
            _negotiate(request)
            return await fn(request)
        except DomainError as exc:
            return _outcome(exc)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _outcome(FhirError(exc.status, exc.reason))
        except Exception:  # the transport boundary: a 500 is an OperationOutcome too
            log.exception("unhandled error on %s %s", request.method, request.path)
            return _outcome(FhirError(500, "Internal server error"))

    return inner


def _base(request: web.Request) -> str:
    return f"{request.url.origin()}/fhir"


def _strict(request: web.Request) -> bool:
    return "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")


async def _params(request: web.Request) -> list[tuple[str, str]]:
    params = list(request.query.items())
    if request.method == "POST":  # POST [type]/_search: form-encoded parameters (R4 §3.1.1.4)
        if request.content_type != "application/x-www-form-urlencoded":
            raise FhirError(415, "POST _search takes application/x-www-form-urlencoded parameters")
        params += list((await request.post()).items())
    return [(k, v) for k, v in params if isinstance(v, str)]


@route
async def metadata(request: web.Request) -> web.Response:
    return fhir_response(capability_statement(_base(request)))


@route
@authenticated()
async def patient_read(request: web.Request, identity: Identity) -> web.Response:
    return fhir_response(await request.app[FHIR].patient(identity, request.match_info["id"]))


@route
@authenticated()
async def patient_search(request: web.Request, identity: Identity) -> web.Response:
    params = await _params(request)
    identifiers, ids = patient_query(params, _strict(request))
    found = await request.app[FHIR].patients(identity, identifiers, ids)
    used = [(k, v) for k, v in params if k in ("identifier", "_id")]
    self_url = f"{_base(request)}/Patient" + (f"?{urlencode(used)}" if used else "")
    return fhir_response(res.searchset(_base(request), found, {"self": self_url}, len(found)))


@route
@authenticated()
async def observation_read(request: web.Request, identity: Identity) -> web.Response:
    return fhir_response(await request.app[FHIR].observation(identity, request.match_info["id"]))


@route
@authenticated()
async def observation_search(request: web.Request, identity: Identity) -> web.Response:
    q = observation_query(await _params(request), _strict(request))
    page, next_cursor, total = await request.app[FHIR].observations(identity, q)
    url = f"{_base(request)}/Observation"
    links = {"self": url + (f"?{urlencode(q.used)}" if q.used else "")}
    if next_cursor:
        links["next"] = f"{url}?{urlencode([*q.used, ('_cursor', next_cursor)])}"
    return fhir_response(res.searchset(_base(request), page, links, total))


@route
@authenticated()
async def issue_read(request: web.Request, identity: Identity) -> web.Response:
    return fhir_response(await request.app[FHIR].detected_issue(identity, request.match_info["id"]))


@route
@authenticated()
async def issue_search(request: web.Request, identity: Identity) -> web.Response:
    patient, count, used = issue_query(await _params(request), _strict(request))
    found, more = await request.app[FHIR].detected_issues(identity, patient, count)
    warning = f"Only the {count} most recent alerts are given (at most {MAX_ISSUES})" if more else None
    links = {"self": f"{_base(request)}/DetectedIssue" + (f"?{urlencode(used)}" if used else "")}
    return fhir_response(res.searchset(_base(request), found, links, None if more else len(found), warning))


@route
async def unknown(request: web.Request) -> web.Response:
    head = request.match_info["tail"].split("/", 1)[0]
    if request.method not in ("GET", "HEAD") and head in RESOURCES:
        raise FhirError(405, f"{request.method} is not supported: this FHIR server is read-only")
    raise FhirError(404, f"Nothing at {request.path}: this server serves {', '.join(RESOURCES)}")


def register(app: web.Application) -> None:
    app.router.add_get("/fhir/metadata", metadata)
    app.router.add_get("/fhir/Patient", patient_search)
    app.router.add_post("/fhir/Patient/_search", patient_search)
    app.router.add_get("/fhir/Patient/{id}", patient_read)
    app.router.add_get("/fhir/Observation", observation_search)
    app.router.add_post("/fhir/Observation/_search", observation_search)
    app.router.add_get("/fhir/Observation/{id}", observation_read)
    app.router.add_get("/fhir/DetectedIssue", issue_search)
    app.router.add_post("/fhir/DetectedIssue/_search", issue_search)
    app.router.add_get("/fhir/DetectedIssue/{id}", issue_read)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):  # last: OperationOutcome 404/405 (not "*": CORS)
        app.router.add_route(method, "/fhir/{tail:.*}", unknown)
