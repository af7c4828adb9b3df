"""What the assistant may know about the person asking: their own data, never anyone else's.

Every read asks `rooms.access.may_access(identity, identity.user_id, scope)`: a patient gets
their latest vitals and open alerts (`vitals`), current prescriptions (`prescriptions`); a
doctor, pharmacist or admin is nobody's patient here, so their questions carry no patient data
at all (a doctor asks about a patient from that patient's file, not through the chatbot).
Treatments and appointments come from domains being built elsewhere: `treatments_hook` and
`appointment_hook` are the plug (async callables taking the patient id), None until then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from models.documents import ALERTS, PRESCRIPTIONS
from models.identity import Identity
from rooms.access import may_access
from server.clock import Clock
from server.storage.db import Database

TreatmentsHook = Callable[[str], Awaitable[list[dict]]]
AppointmentHook = Callable[[str], Awaitable[dict | None]]
OPEN_RX = ("created", "validated", "prepared", "ready", "delivered")
RX_DAYS = 90  # a delivered prescription older than this is no longer "current"


class Grounding:
    def __init__(self, db: Database, clock: Clock, latest_vitals: Callable[[str], Awaitable[dict]],
                 treatments_hook: TreatmentsHook | None = None,
                 appointment_hook: AppointmentHook | None = None) -> None:
        self.db, self.clock, self.latest_vitals = db, clock, latest_vitals
        self.treatments_hook, self.appointment_hook = treatments_hook, appointment_hook

    async def of(self, identity: Identity) -> dict[str, Any]:
        """The caller's own data, by section; empty sections are left out."""
        me, out = identity.user_id, {}
        if await may_access(self.db, self.clock, identity, me, "vitals"):
            vitals = await self.latest_vitals(me)
            if vitals:
                out["vitals"] = {k: {"value": r.get("value"), "unit": r.get("unit"), "at": _iso(r.get("ts"))}
                                 for k, r in sorted(vitals.items())}
            alerts = await self.db[ALERTS].find({"patient_id": me, "open": True}).to_list(50)
            if alerts:
                out["open_alerts"] = [{"type": a["type"], "severity": a["severity"], "since": _iso(a["first_at"]),
                                       "last_value": a.get("last_value")} for a in alerts]
        if await may_access(self.db, self.clock, identity, me, "prescriptions"):
            since = self.clock.now().timestamp() - RX_DAYS * 86400
            docs = await self.db[PRESCRIPTIONS].find({"patient_id": me, "status": {"$in": list(OPEN_RX)}}).to_list(50)
            current = [d for d in docs if d["created_at"].timestamp() >= since]
            if current:
                out["prescriptions"] = [{"status": d["status"], "date": _iso(d["created_at"]),
                                         "medications": [{k: m.get(k) for k in ("name", "dose", "frequency",
                                                                                 "duration")}
                                                         for m in d["medications"]]} for d in current]
            if self.treatments_hook is not None and (treatments := await self.treatments_hook(me)):
                out["treatments"] = treatments
            if self.appointment_hook is not None and (appointment := await self.appointment_hook(me)):
                out["next_appointment"] = appointment
        return out


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
