"""API steps the browser tests use as preconditions (grants, devices, readings), so each
scenario drives in the browser only what it is about."""

from __future__ import annotations

import itertools
import uuid

from tests.web.support import Http

_seq = itertools.count(1)


def token(http: Http, creds: tuple[str, str]) -> str:
    return http.login(*creds)


def ensure_grant(http: Http, doctor: str, patient: str, patient_id: str) -> None:
    """An active grant (all scopes) from `patient` to `doctor`, through request + approval."""
    if any(g["patient_id"] == patient_id for g in http.call("GET", "/api/grants", doctor, expect=200)):
        return
    req = http.call("POST", "/api/access-requests", doctor, {
        "patient_id": patient_id, "reason": "suivi", "scopes": ["records", "vitals", "prescriptions"],
        "duration_days": 30}, expect=201)
    http.call("POST", f"/api/access-requests/{req['id']}/approve", patient, {}, expect=200)


def provision_device(http: Http, admin: str, patient_id: str) -> tuple[str, str]:
    mac = ":".join(f"{b:02x}" for b in uuid.uuid4().bytes[:6])
    dev = http.call("POST", "/api/iot/devices", admin, {
        "name": "Moniteur e2e", "type": "multi_sensor", "mac": mac, "patient_id": patient_id}, expect=201)
    return dev["id"], dev["token"]


def send(http: Http, device_token: str, **readings) -> dict:
    out = http.call("POST", "/api/iot/data", device_token, {"seq": next(_seq), "readings": readings}, expect=200)
    assert out["status"] == "accepted", out
    return out


NORMAL = {"heart_rate": 72, "spo2": 98, "respiratory_rate": 15, "systolic": 122, "diastolic": 78, "temperature": 36.8}
