"""The cast the contract tests fuzz and authorise against: every role, own, granted and ungranted data.

pat granted doc (records, vitals, prescriptions); other is a patient nobody granted; stranger is a
doctor without grants; a device assigned to pat; a prescription, a record, a notification, a care
unit with doc and pat, a treatment, a slot and an appointment, a chat conversation.
"""

from __future__ import annotations

import dataclasses
import secrets

from tests.support.helpers import World, world
from tests.support.iot import provision

WEBHOOK_SECRET = secrets.token_urlsafe(24)


def unlimited(settings):
    """No rate limits and a webhook secret: the fuzzers send thousands of requests from one address."""
    return dataclasses.replace(settings, rate_limits=dict.fromkeys(settings.rate_limits, ""),
                               chatbot_rate_limit="100000/minute", lorawan_webhook_secret=WEBHOOK_SECRET)


@dataclasses.dataclass
class Cast:
    world: World
    ids: dict[str, str]  # named objects: rx, record, note, unit, device, treatment, slot, appointment, ...
    device_token: str

    def token(self, role: str | None) -> str | None:
        return self.world.tokens.get(role) if role else None


async def ok(w: World, who: str, method: str, path: str, body=None) -> dict:
    status, answer = await w.call(who, method, path, body)
    assert status in (200, 201), (method, path, status, answer)
    return answer


async def cast(api) -> Cast:
    w = await world(api)
    await w.grant("doc", "pat")
    pat, doc = w.ids["pat"], w.ids["doc"]
    ids = dict(w.ids)
    rx = await ok(w, "doc", "POST", "/api/prescriptions", {"patient_id": pat, "medications": [
        {"name": "X", "dose": "1", "frequency": "1", "duration": "1"}]})
    record = await ok(w, "doc", "POST", f"/api/patients/{pat}/records",
                      {"diagnosis": "flu", "visit_date": "2026-01-02"})
    notes = await ok(w, "pat", "GET", "/api/notifications")
    unit = await ok(w, "admin", "POST", "/api/care-units/", {"name": "Ward A"})
    await ok(w, "admin", "POST", f"/api/care-units/{unit['id']}/staff", {"user_id": doc})
    await ok(w, "admin", "POST", f"/api/care-units/{unit['id']}/patients", {"user_id": pat})
    device = await provision(api, w.tokens["admin"], pat, dev_eui="70B3D57ED0000001")
    treatment = await ok(w, "pat", "POST", "/api/treatments/", {"medocs_name": "Paracetamol", "frequency": 2,
                                                                 "duration_days": 5})
    conversation = await ok(w, "doc", "POST", "/api/chat/conversations/", {"with_user_id": pat})
    ids.update(rx=rx["id"], record=record["id"], note=notes["items"][0]["id"], unit=unit["id"],
               device=device["id"], treatment=treatment["id"], conversation=conversation["id"])
    return Cast(w, ids, device["token"])
