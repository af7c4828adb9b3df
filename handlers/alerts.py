"""REST for clinical alerts, NEWS2 and per-patient alert rules.

Reading needs access to the patient's vitals (`rooms.access.may_access`: the patient, a
doctor with a `vitals` grant, staff of the patient's care unit). Acknowledging, clearing,
recording NEWS2 observations and changing rules need a doctor with that access.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from models.alerts import AckIn, AlertConfigIn, ClearIn, ObservationIn
from models.common import Input
from models.documents import public
from models.errors import Invalid, NotFound
from models.identity import Identity
from server.alerting.rules import RANK, SEVERITIES, describe, effective_rules
from server.alerting.store import INTERNAL
from server.http.middleware import authenticated, json_response, read_body
from server.http.openapi import ARRAY, operation
from server.keys import ALERT_ENGINE, ALERTS, RIGHTS

BOOL = {"true": True, "1": True, "false": False, "0": False}


def _bool(request: web.Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in BOOL:
        raise Invalid(f"{name} must be true or false", details=[{"field": name, "message": "true or false"}])
    return BOOL[raw.lower()]


class AlertsQuery(Input):
    """The query `_list` reads by hand, for the OpenAPI document."""
    patient: str | None = None
    severity: str | None = Field(default=None, description="comma-separated severities")
    active: bool | None = None
    unacknowledged: bool | None = None
    limit: int = Field(default=200, ge=1, le=1000)


async def _list(request: web.Request, identity: Identity, *, active: bool | None = None,
                severities: list[str] | None = None) -> web.Response:
    app = request.app
    patient = request.query.get("patient")
    if patient:
        await app[RIGHTS].require(identity, patient, "vitals")
        ids = [patient]
    else:
        ids = await app[RIGHTS].visible(identity, "vitals")
    if severities is None and request.query.get("severity"):
        severities = [s.strip() for s in request.query["severity"].split(",") if s.strip()]
        if any(s not in SEVERITIES for s in severities):
            raise Invalid("Unknown severity", details=[{"field": "severity", "message": f"one of {SEVERITIES}"}])
    try:
        limit = min(max(int(request.query.get("limit", 200)), 1), 1000)
    except ValueError:
        raise Invalid("limit must be a number", details=[{"field": "limit", "message": "1..1000"}]) from None
    docs = await app[ALERTS].search(
        patient_ids=ids, active=active if active is not None else _bool(request, "active"),
        unacknowledged=_bool(request, "unacknowledged"),
        min_rank=min(RANK[s] for s in severities) if severities else None, limit=limit)
    if severities:
        docs = [d for d in docs if d["severity"] in severities]
    return json_response([public(d, omit=INTERNAL) for d in docs])


@operation("Alerts you may see", query=AlertsQuery, response=ARRAY)
@authenticated()
async def list_alerts(request: web.Request, identity: Identity) -> web.Response:
    return await _list(request, identity)


@operation("Open alerts you may see", query=AlertsQuery, response=ARRAY)
@authenticated()
async def active_alerts(request: web.Request, identity: Identity) -> web.Response:
    return await _list(request, identity, active=True)


@operation("Open critical and emergency alerts you may see", query=AlertsQuery, response=ARRAY)
@authenticated()
async def critical_alerts(request: web.Request, identity: Identity) -> web.Response:
    return await _list(request, identity, active=True, severities=["critical", "emergency"])


async def _alert_for(request: web.Request, identity: Identity) -> dict:
    app = request.app
    doc = await app[ALERTS].get(request.match_info["alert_id"])
    if not await app[RIGHTS].may(identity, doc["patient_id"], "vitals"):
        raise NotFound("No such alert", code="alert_not_found")  # do not reveal it exists
    return doc


@operation("Get alert")
@authenticated()
async def get_alert(request: web.Request, identity: Identity) -> web.Response:
    return json_response(public(await _alert_for(request, identity), omit=INTERNAL))


@operation("Acknowledge", body=AckIn)
@authenticated("doctor")
async def acknowledge(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, AckIn)
    doc = await _alert_for(request, identity)
    doc = await request.app[ALERT_ENGINE].acknowledge(doc["_id"], identity.user_id, body.comment)
    return json_response(public(doc, omit=INTERNAL))


@operation("Clear", body=ClearIn)
@authenticated("doctor")
async def clear(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, ClearIn)
    doc = await _alert_for(request, identity)
    doc = await request.app[ALERT_ENGINE].clear(doc["_id"], identity.user_id, body.comment)
    return json_response(public(doc, omit=INTERNAL))


@operation("News2 latest")
@authenticated()
async def news2_latest(request: web.Request, identity: Identity) -> web.Response:
    pid = request.match_info["patient_id"]
    await request.app[RIGHTS].require(identity, pid, "vitals")
    engine = request.app[ALERT_ENGINE]
    result = await engine.news2.compute(pid, store=False)  # fresh: inputs age out of the window
    return json_response(public({"_id": pid, **result}, id_as="patient_id"))


@operation("Observe", body=ObservationIn, status=201)
@authenticated("doctor")
async def observe(request: web.Request, identity: Identity) -> web.Response:
    pid = request.match_info["patient_id"]
    body = await read_body(request, ObservationIn)
    await request.app[RIGHTS].require(identity, pid, "vitals")
    result = await request.app[ALERT_ENGINE].news2.observe(pid, identity.user_id, body.model_dump())
    return json_response(public({"_id": pid, **result}, id_as="patient_id"), status=201)


async def _rules_view(request: web.Request, pid: str) -> dict:
    doc = await request.app[ALERT_ENGINE].config.get(pid)
    return {"patient_id": pid, "spo2_scale": doc.get("spo2_scale", 1), "overrides": doc.get("overrides") or {},
            "updated_by": doc.get("updated_by"),
            "updated_at": doc["updated_at"].isoformat() if doc.get("updated_at") else None,
            "rules": [describe(r) for r in effective_rules(doc.get("overrides"), doc.get("spo2_scale", 1))]}


@operation("Get rules")
@authenticated()
async def get_rules(request: web.Request, identity: Identity) -> web.Response:
    pid = request.match_info["patient_id"]
    await request.app[RIGHTS].require(identity, pid, "vitals")
    return json_response(await _rules_view(request, pid))


@operation("Put rules", body=AlertConfigIn)
@authenticated("doctor")
async def put_rules(request: web.Request, identity: Identity) -> web.Response:
    pid = request.match_info["patient_id"]
    body = await read_body(request, AlertConfigIn)
    await request.app[RIGHTS].require(identity, pid, "vitals")
    overrides = None if body.overrides is None else {
        k: (v.model_dump(mode="json") if v is not None else None) for k, v in body.overrides.items()}
    await request.app[ALERT_ENGINE].config.update(pid, identity.user_id, overrides=overrides,
                                                  spo2_scale=body.spo2_scale, reason=body.reason)
    return json_response(await _rules_view(request, pid))


@operation("Rules audit", response=ARRAY)
@authenticated("doctor")
async def rules_audit(request: web.Request, identity: Identity) -> web.Response:
    pid = request.match_info["patient_id"]
    await request.app[RIGHTS].require(identity, pid, "vitals")
    docs = await request.app[ALERT_ENGINE].config.audit(pid)
    return json_response([{"id": d["_id"], "by": d["by"], "at": d["at"].isoformat(), "reason": d.get("reason"),
                           "before": d["before"], "after": d["after"]} for d in docs])


def register(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/iot/alerts", list_alerts)
    r.add_get("/api/iot/alerts/active", active_alerts)
    r.add_get("/api/iot/alerts/critical", critical_alerts)
    r.add_get("/api/iot/alerts/{alert_id}", get_alert)
    r.add_post("/api/iot/alerts/{alert_id}/acknowledge", acknowledge)
    r.add_post("/api/iot/alerts/{alert_id}/clear", clear)
    r.add_get("/api/iot/patients/{patient_id}/news2", news2_latest)
    r.add_post("/api/iot/patients/{patient_id}/observations", observe)
    r.add_get("/api/iot/patients/{patient_id}/alert-rules", get_rules)
    r.add_put("/api/iot/patients/{patient_id}/alert-rules", put_rules)
    r.add_get("/api/iot/patients/{patient_id}/alert-rules/audit", rules_audit)
