"""FHIR R4 export of vital signs: `GET /fhir/Observation?patient=&code=&date=&_count=`.

Returns a `searchset` Bundle of Observations in the vital-signs profile shape: category
vital-signs, LOINC code, UCUM valueQuantity, subject Patient/<id>, effectiveDateTime (device
time), issued (server receive time), device Device/<id>. Systolic and diastolic from one reading
set become one blood-pressure panel (85354-9) with two components. `date` takes the FHIR
prefixes ge, gt, le, lt (repeatable); `code` is a comma-separated list of LOINC codes, with or
without `http://loinc.org|`. The caller must be the patient or a doctor with a `vitals` grant.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import orjson
from aiohttp import web

from models.errors import Invalid
from models.identity import Identity
from models.vitals import BP_PANEL, KINDS
from server.http.middleware import authenticated
from server.keys import CLOCK, RIGHTS, VITALS_HISTORY

LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
CATEGORY = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                         "code": "vital-signs", "display": "Vital Signs"}], "text": "Vital Signs"}]
MAX_COUNT = 1000


def _quantity(r: dict) -> dict:
    return {"value": r["value"], "unit": r["unit"], "system": UCUM, "code": r["unit"]}


def _code(code: str, display: str) -> dict:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display}


def observations(doc: dict) -> list[dict]:
    """One stored reading set → its Observations (BP as one panel)."""
    base = {"resourceType": "Observation", "status": "final", "category": CATEGORY,
            "subject": {"reference": f"Patient/{doc['patient_id']}"},
            "effectiveDateTime": doc["ts"].isoformat(), "issued": doc["received_at"].isoformat(),
            "device": {"reference": f"Device/{doc['device_id']}"}}
    out, readings = [], doc["readings"]
    for kind, r in readings.items():
        if kind in ("systolic", "diastolic"):
            continue
        out.append({**base, "id": _id(doc, kind), "code": _code(r["loinc"], KINDS[kind].display),
                    "valueQuantity": _quantity(r)})
    if "systolic" in readings or "diastolic" in readings:
        out.append({**base, "id": _id(doc, "bp"), "code": _code(*BP_PANEL), "component": [
            {"code": _code(readings[k]["loinc"], KINDS[k].display), "valueQuantity": _quantity(readings[k])}
            for k in ("systolic", "diastolic") if k in readings]})
    return out


def _id(doc: dict, kind: str) -> str:
    # FHIR ids allow [A-Za-z0-9.-]{1,64}; device ids may hold "_" and seqs a "-".
    return hashlib.sha256(f"{doc['_id']}|{kind}".encode()).hexdigest()[:32]


def _codes(raw: str | None) -> set[str] | None:
    if not raw:
        return None
    return {c.split("|")[-1].strip() for c in raw.split(",") if c.strip()}


def _date_filter(values: list[str]) -> dict:
    ops = {"ge": "$gte", "gt": "$gt", "le": "$lte", "lt": "$lt", "eq": "eq"}
    out: dict = {}
    for v in values:
        prefix, rest = (v[:2], v[2:]) if v[:2] in ops else ("eq", v)
        try:
            when = datetime.fromisoformat(rest.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise Invalid(f"date={v!r} is not a FHIR date",
                          details=[{"field": "date", "message": "bad date"}]) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if prefix == "eq" and len(rest) <= 10:  # a day without prefix: that whole day
            out["$gte"], out["$lt"] = when, when + timedelta(days=1)
        elif prefix == "eq":
            out["$gte"], out["$lte"] = when, when
        else:
            out[ops[prefix]] = when
    return out


@authenticated()
async def search(request: web.Request, identity: Identity) -> web.Response:
    patient = (request.query.get("patient") or request.query.get("subject") or "").removeprefix("Patient/")
    if not patient:
        raise Invalid("`patient` is required", details=[{"field": "patient", "message": "required"}])
    await request.app[RIGHTS].require(identity, patient, "vitals")
    codes = _codes(request.query.get("code"))
    dates = _date_filter(request.query.getall("date", []))
    if not dates:  # SecantusDB scans without a range: default to the last 24 hours
        dates = {"$gte": request.app[CLOCK].now() - timedelta(days=1)}
    try:
        count = min(int(request.query.get("_count", "100")), MAX_COUNT)
    except ValueError:
        raise Invalid("_count must be a number") from None
    docs = await request.app[VITALS_HISTORY].readings(patient, dates)
    resources = []
    for doc in docs:
        for obs in observations(doc):
            obs_codes = {c["code"] for c in obs["code"]["coding"]} | {
                cc["code"] for comp in obs.get("component", []) for cc in comp["code"]["coding"]}
            if codes is None or obs_codes & codes:
                resources.append(obs)
    base = str(request.url.origin())
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
              "link": [{"relation": "self", "url": str(request.url)}],
              "entry": [{"fullUrl": f"{base}/fhir/Observation/{r['id']}", "resource": r, "search": {"mode": "match"}}
                        for r in resources[:count]]}
    return web.Response(body=orjson.dumps(bundle), content_type="application/fhir+json")


def register(app: web.Application) -> None:
    app.router.add_get("/fhir/Observation", search)
