"""Watching vitals live (`vitals:watch`/`vitals:unwatch`) and reading them back over REST.

Only the patient and doctors whose grant has the `vitals` scope (rooms.access) may join
`patient:<id>` or read the history. Watching sends `vitals:snapshot` then live `vitals:new`
with no gap: the snapshot is read and the room joined while holding the ingest publisher's
lock, so every reading is either in the snapshot or delivered live, never both or neither.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from aiohttp import web
from pydantic import Field

from models.common import Input, parse
from models.errors import Invalid
from models.identity import Identity
from server.http.middleware import authenticated, json_response
from server.http.openapi import operation
from server.keys import CLOCK, INGEST, RIGHTS, SIO, VITALS_HISTORY
from server.realtime import events
from server.realtime.sockets import on


class HistoryPage(Input):
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=10_000, ge=1, le=10_000)


class HistoryQuery(HistoryPage):
    """The whole query of /history, for the OpenAPI document (the handler reads `kind`, `bucket`, times itself)."""
    kind: str = ""
    bucket: str = "5m"
    since: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None


class WindowQuery(Input):
    since: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None


class WatchIn(Input):
    patient_id: str = Field(min_length=1, max_length=64)


def query_time(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))  # a bare '+' in a query string means space
    except ValueError:
        raise Invalid(f"`{name}` must be an ISO 8601 date-time",
                      details=[{"field": name, "message": "not ISO 8601"}]) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@operation("Latest value of each vital")
@authenticated()
async def latest(request: web.Request, identity: Identity) -> web.Response:
    pid = request.match_info["patient_id"]
    await request.app[RIGHTS].require(identity, pid, "vitals")
    readings = await request.app[INGEST].latest(pid)
    return json_response({"patient_id": pid, "readings": readings})


@operation("A vital's history, raw or bucketed", query=HistoryQuery)
@authenticated()
async def history(request: web.Request, identity: Identity) -> web.Response:
    pid = request.match_info["patient_id"]
    await request.app[RIGHTS].require(identity, pid, "vitals")
    kind = request.query.get("kind", "")
    bucket = request.query.get("bucket", "5m")
    page = parse(HistoryPage, {k: v for k, v in request.query.items() if k in ("cursor", "limit")})
    points, more = await request.app[VITALS_HISTORY].history(pid, kind, bucket, query_time(request, "from"),
                                                      query_time(request, "to"), page.cursor, page.limit)
    # `next`: raw points beyond `limit` (at most 10,000) are fetched with `cursor=<next>`; null when complete
    return json_response({"patient_id": pid, "kind": kind, "bucket": bucket, "points": points, "next": more,
                          "truncated": more is not None})


@operation("Statistics of the vitals over a window", query=WindowQuery)
@authenticated()
async def statistics(request: web.Request, identity: Identity) -> web.Response:
    pid = request.match_info["patient_id"]
    await request.app[RIGHTS].require(identity, pid, "vitals")
    stats = await request.app[VITALS_HISTORY].statistics(pid, query_time(request, "from"), query_time(request, "to"))
    return json_response({"patient_id": pid, **stats})


def register(app: web.Application) -> None:
    sio, clock = app[SIO], app[CLOCK]

    @on(sio, events.VITALS_WATCH, WatchIn, clock)
    async def watch(sid: str, identity: Identity, body: WatchIn) -> dict:
        check = functools.partial(app[RIGHTS].require, identity, body.patient_id, "vitals")
        await check()
        return await app[INGEST].watch(sid, body.patient_id, recheck=check)

    @on(sio, events.VITALS_UNWATCH, WatchIn, clock)
    async def unwatch(sid: str, identity: Identity, body: WatchIn) -> dict:
        await app[INGEST].unwatch(sid, body.patient_id)
        return {"patient_id": body.patient_id}

    base = "/api/iot/patients/{patient_id}/vitals"
    app.router.add_get(f"{base}/latest", latest)
    app.router.add_get(f"{base}/history", history)
    app.router.add_get(f"{base}/statistics", statistics)
