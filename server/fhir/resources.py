"""Stored documents → FHIR R4 resources (pure functions; validated by fhir.resources in the tests).

Observation ids are derived from the reading's stable identity, never from a storage key, so
they survive a change of how readings are stored:

    <patient id>.<measurement time, epoch ms in base 36>.<kind>.<8 hex of sha256(device|seq)>

kind is hr, rr, temp, spo2, bp (systolic and diastolic as one panel) or glu. The patient and
the time make a read by id one indexed (patient, time) lookup; the device/seq hash tells apart
two devices measuring the same patient in the same millisecond. Every resource declares its
profile in `meta.profile` (the R4 vital-signs profiles; the base resource otherwise).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

from models.vitals import BP_PANEL, KINDS

LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
SD = "http://hl7.org/fhir/StructureDefinition/"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
USER_SYSTEM = "urn:fadjma:user"  # Patient.identifier: the account id (= the resource id)
USERNAME_SYSTEM = "urn:fadjma:username"  # Patient.identifier: the sign-in name
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# kind -> (short id part, profile, category); glucose is a point-of-care lab value, not a vital sign.
KIND_INFO = {"heart_rate": ("hr", "heartrate", "vital-signs"), "respiratory_rate": ("rr", "resprate", "vital-signs"),
             "temperature": ("temp", "bodytemp", "vital-signs"), "spo2": ("spo2", "oxygensat", "vital-signs"),
             "bp": ("bp", "bp", "vital-signs"), "glucose": ("glu", "Observation", "laboratory")}
SHORT = {short: kind for kind, (short, _, _) in KIND_INFO.items()}
CATEGORY_DISPLAY = {"vital-signs": "Vital Signs", "laboratory": "Laboratory"}
SPO2_GENERIC = ("2708-6", "Oxygen saturation in Arterial blood")
ID_RE = re.compile(r"([A-Za-z0-9-]{1,36})\.([0-9a-z]{1,12})\.([a-z0-9]{2,4})\.([0-9a-f]{8})")


def _ms(ts: datetime) -> int:
    return (ts.replace(tzinfo=ts.tzinfo or UTC) - EPOCH) // timedelta(milliseconds=1)


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def observation_id(patient_id: str, ts: datetime, kind: str, device_id: str, seq: int) -> str:
    source = hashlib.sha256(f"{device_id}|{seq}".encode()).hexdigest()[:8]
    return f"{patient_id}.{_b36(_ms(ts))}.{KIND_INFO[kind][0]}.{source}"


def parse_observation_id(obs_id: str) -> tuple[str, datetime, str] | None:
    """(patient id, measurement time, kind) of an id this server gave, or None."""
    m = ID_RE.fullmatch(obs_id)
    if m is None or m.group(3) not in SHORT:
        return None
    return m.group(1), EPOCH + timedelta(milliseconds=int(m.group(2), 36)), SHORT[m.group(3)]


def _iso(ts: datetime) -> str:
    return ts.replace(tzinfo=ts.tzinfo or UTC).isoformat()


def _quantity(r: dict) -> dict:
    return {"value": r["value"], "unit": r["unit"], "system": UCUM, "code": r["unit"]}


def _concept(*codes: tuple[str, str]) -> dict:
    return {"coding": [{"system": LOINC, "code": c, "display": d} for c, d in codes], "text": codes[-1][1]}


def _category(code: str) -> list[dict]:
    return [{"coding": [{"system": OBS_CATEGORY, "code": code, "display": CATEGORY_DISPLAY[code]}],
             "text": CATEGORY_DISPLAY[code]}]


def observations(doc: dict) -> list[dict]:
    """One stored reading set → its Observations (systolic and diastolic as one BP panel)."""
    readings, out = doc["readings"], []
    for kind in [k for k in KINDS if k in readings and k not in ("systolic", "diastolic")] + (
            ["bp"] if "systolic" in readings or "diastolic" in readings else []):
        _short, profile, category = KIND_INFO[kind]
        obs = {"resourceType": "Observation",
               "id": observation_id(doc["patient_id"], doc["ts"], kind, doc["device_id"], doc["seq"]),
               "meta": {"profile": [SD + profile]}, "status": "final", "category": _category(category),
               "subject": {"reference": f"Patient/{doc['patient_id']}"}, "effectiveDateTime": _iso(doc["ts"]),
               "issued": _iso(doc["received_at"]), "device": {"reference": f"Device/{doc['device_id']}"}}
        if doc.get("clock_suspect"):  # dated on receipt (models/vitals.py build_message); say so, and what it claimed
            claimed = _iso(doc["device_ts"]) if doc.get("device_ts") else "unknown"
            obs["note"] = [{"text": f"The device clock was implausible when this was received (it said {claimed}): "
                                    "effectiveDateTime is the server's receive time, not the device's."}]
        if kind == "bp":
            obs["code"] = _concept(BP_PANEL)
            obs["component"] = [_bp_component(readings, k) for k in ("systolic", "diastolic")]
        else:
            r = readings[kind]
            codes = [(r["loinc"], KINDS[kind].display)]
            obs["code"] = _concept(SPO2_GENERIC, *codes) if kind == "spo2" else _concept(*codes)
            obs["valueQuantity"] = _quantity(r)
        out.append(obs)
    return out


def _bp_component(readings: dict, kind: str) -> dict:
    # The R4 bp profile requires both components: one the device did not send is "unknown".
    comp = {"code": _concept((KINDS[kind].loinc, KINDS[kind].display))}
    if kind in readings:
        comp["valueQuantity"] = _quantity(readings[kind])
    else:
        comp["dataAbsentReason"] = {"coding": [{"system": ABSENT, "code": "unknown", "display": "Unknown"}]}
    return comp


def codes_of(obs: dict) -> set[tuple[str, str]]:
    """(system, code) of an Observation's code and of its components' codes (a BP panel matches 8480-6)."""
    concepts = [obs["code"], *(c["code"] for c in obs.get("component", []))]
    return {(c["system"], c["code"]) for concept in concepts for c in concept["coding"]}


def patient(doc: dict) -> dict:
    """An account of role patient → Patient (id = account id; identifiers: account id, username)."""
    profile = doc.get("profile") or {}
    out = {"resourceType": "Patient", "id": doc["_id"], "meta": {"profile": [SD + "Patient"]},
           "identifier": [{"use": "official", "system": USER_SYSTEM, "value": doc["_id"]},
                          {"use": "secondary", "system": USERNAME_SYSTEM, "value": doc["username"]}],
           "active": bool(doc.get("is_active", True))}
    name = {k: v for k, v in (("family", doc.get("last_name")), ("given", [doc.get("first_name")])) if v and v != [""]
            and v != [None]}
    if name:
        out["name"] = [{"use": "official", **name}]
    if doc.get("email"):
        out["telecom"] = [{"system": "email", "value": doc["email"]}]
    if profile.get("gender") in ("male", "female", "other"):
        out["gender"] = profile["gender"]
    birth = profile.get("birth_date")
    if isinstance(birth, date | datetime):
        birth = birth.isoformat()[:10]
    if birth:
        out["birthDate"] = birth
    return out


def outcome(code: str, message: str, fields: list[str] | None = None, severity: str = "error") -> dict:
    issue = {"severity": severity, "code": code, "diagnostics": message, "details": {"text": message}}
    if fields:
        issue["expression"] = fields
    return {"resourceType": "OperationOutcome", "meta": {"profile": [SD + "OperationOutcome"]}, "issue": [issue]}


def searchset(base: str, resources: list[dict], links: dict[str, str], total: int | None,
              warning: str | None = None) -> dict:
    bundle = {"resourceType": "Bundle", "meta": {"profile": [SD + "Bundle"]}, "type": "searchset",
              "link": [{"relation": rel, "url": url} for rel, url in links.items()],
              "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                         "search": {"mode": "match"}} for r in resources]}
    if warning:  # R4 §3.1.1.4.10: an OperationOutcome entry tells the client what it did not get
        bundle["entry"].append({"resource": outcome("too-costly", warning, severity="warning"),
                                "search": {"mode": "outcome"}})
    if total is not None:
        bundle["total"] = total
    return bundle
