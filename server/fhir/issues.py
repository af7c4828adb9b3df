"""Clinical alerts → FHIR R4 DetectedIssue.

Why DetectedIssue and not Flag: a Flag is a standing notice about a patient ("fall risk",
"allergy") with no event, severity or acknowledgement; a DetectedIssue is "an actual or potential
clinical issue" found by a system for one patient, with a severity (high | moderate | low), the
time it was identified, its evidence and its `mitigation` (what was done, when, by whom), which is
what an alert's acknowledgement and clearance are. Device alerts (offline, battery) are about the
monitoring, not the patient, and are not exported.

- `status`: preliminary while the alert is open (it may still rise, fall or gain causes), final once
  closed; `identifiedPeriod`: first breach → clearance;
- `severity`: emergency and critical → high, warning → moderate, info → low; the exact Fadjma
  severity in the extension `urn:fadjma:fhir:alert-severity`;
- `code`: the alert type (`urn:fadjma:alert-type`, e.g. spo2_low, news2); `evidence.code`: the
  vital's LOINC concept when the alert is about one vital;
- `mitigation`: `acknowledged` and `cleared` (system `urn:fadjma:alert-action`), with the date and
  the clinician (a logical reference by account id) and the comment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from models.vitals import KINDS
from server.fhir.resources import SD, USER_SYSTEM

TYPE_SYSTEM, ACTION_SYSTEM = "urn:fadjma:alert-type", "urn:fadjma:alert-action"
SEVERITY_EXT = "urn:fadjma:fhir:alert-severity"
SEVERITY = {"emergency": "high", "critical": "high", "warning": "moderate", "info": "low"}


def _iso(ts: datetime) -> str:
    return ts.replace(tzinfo=ts.tzinfo or UTC).isoformat()


def exported(doc: dict) -> bool:
    return doc.get("category") != "device"


def _mitigation(action: str, at: datetime | None, by: str | None, note: str | None) -> dict | None:
    if at is None:
        return None
    out = {"action": {"coding": [{"system": ACTION_SYSTEM, "code": action}], "text": action}, "date": _iso(at)}
    if by:
        out["author"] = {"type": "Practitioner", "identifier": {"system": USER_SYSTEM, "value": by}}
    if note:
        out["action"]["text"] = f"{action}: {note}"
    return out


def detected_issue(doc: dict) -> dict:
    closed = not doc.get("open", False)
    period = {"start": _iso(doc["first_at"])}
    if closed and doc.get("cleared_at"):
        period["end"] = _iso(doc["cleared_at"])
    value = doc.get("last_value", doc.get("first_value"))
    detail = f"{doc['type']} ({doc['severity']})" + (f", last value {value}" if value is not None else "")
    out = {"resourceType": "DetectedIssue", "id": doc["_id"], "meta": {"profile": [SD + "DetectedIssue"]},
           "extension": [{"url": SEVERITY_EXT, "valueCode": doc["severity"]}],
           "status": "final" if closed else "preliminary",
           "code": {"coding": [{"system": TYPE_SYSTEM, "code": doc["type"]}], "text": doc["type"]},
           "severity": SEVERITY.get(doc["severity"], "low"),
           "patient": {"reference": f"Patient/{doc['patient_id']}"},
           "identifiedPeriod": period, "detail": detail}
    kind = doc.get("kind")
    if kind in KINDS:
        out["evidence"] = [{"code": [{"coding": [{"system": "http://loinc.org", "code": KINDS[kind].loinc,
                                                  "display": KINDS[kind].display}], "text": KINDS[kind].display}]}]
    mitigations = [_mitigation("acknowledged", doc.get("acknowledged_at"), doc.get("acknowledged_by"),
                               doc.get("ack_comment")),
                   _mitigation("cleared", doc.get("cleared_at"), doc.get("cleared_by"), doc.get("clear_reason"))]
    if any(mitigations):
        out["mitigation"] = [m for m in mitigations if m]
    return out
