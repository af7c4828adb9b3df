"""The CapabilityStatement (`GET /fhir/metadata`): exactly what this server serves, nothing more."""

from __future__ import annotations

from server.fhir.resources import KIND_INFO, SD
from server.fhir.search import MAX_COUNT, MAX_ISSUES

SP = "http://hl7.org/fhir/SearchParameter/"
RELEASED = "2026-11-28"  # the date this statement last changed


def _param(name: str, kind: str, definition: str, doc: str) -> dict:
    return {"name": name, "definition": SP + definition, "type": kind, "documentation": doc}


def capability_statement(base: str) -> dict:
    profiles = sorted({SD + p for _, p, _ in KIND_INFO.values() if p != "Observation"} | {SD + "vitalsigns"})
    read_search = [{"code": "read"}, {"code": "search-type"}]
    return {
        "resourceType": "CapabilityStatement", "id": "fadjma", "meta": {"profile": [SD + "CapabilityStatement"]},
        "url": f"{base}/metadata", "version": RELEASED, "name": "FadjmaFhirServer",
        "title": "Fadjma FHIR R4 server: vital signs, patients and clinical alerts", "status": "active",
        "experimental": False,
        "date": RELEASED, "publisher": "Fadjma", "kind": "instance",
        "software": {"name": "Fadjma"},
        "implementation": {"description": "Fadjma care platform, read-only FHIR R4 facade", "url": base},
        "fhirVersion": "4.0.1", "format": ["json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read-only. Errors are OperationOutcomes. Unknown search parameters are ignored "
                             "unless `Prefer: handling=strict`. Only JSON (406 for any other _format/Accept).",
            "security": {"cors": True, "description": "Send `Authorization: Bearer <access token>` (POST "
                                                      "/api/token/). A patient sees their own data; a doctor the "
                                                      "patients who granted access or are in their care units. "
                                                      "Anything else is a 404."},
            "resource": [
                {"type": "Patient", "profile": SD + "Patient", "interaction": read_search,
                 "searchParam": [
                     _param("identifier", "token", "Patient-identifier",
                            "urn:fadjma:user|<account id> or urn:fadjma:username|<sign-in name>"),
                     _param("_id", "token", "Resource-id", "Comma-separated ids")]},
                {"type": "Observation", "profile": SD + "Observation", "supportedProfile": profiles,
                 "interaction": read_search,
                 "searchParam": [
                     _param("patient", "reference", "clinical-patient",
                            "Required for doctors; a patient's own by default"),
                     _param("subject", "reference", "Observation-subject", "Same as patient (Patient/<id>)"),
                     _param("code", "token", "clinical-code", "LOINC, system|code; a BP panel matches its "
                                                              "components' codes too"),
                     _param("date", "date", "clinical-date", "eq ge gt le lt sa eb; without a lower bound the "
                                                             "24 h before the upper bound (or now)"),
                     _param("category", "token", "Observation-category", "vital-signs or laboratory (glucose)")],
                 "documentation": f"_sort=-date (default) or date; _count up to {MAX_COUNT} (default 100); "
                                  "pages through the Bundle's `next` link."},
                {"type": "DetectedIssue", "profile": SD + "DetectedIssue", "interaction": read_search,
                 "searchParam": [_param("patient", "reference", "clinical-patient",
                                        "Required for doctors; a patient's own by default")],
                 "documentation": "Clinical alerts (not device alerts): open ones and those closed in the last "
                                  f"7 days, newest first; _count up to {MAX_ISSUES} (default 100)."},
            ]}],
    }
