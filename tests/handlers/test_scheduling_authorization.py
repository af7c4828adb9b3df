"""Who may call what: every route of slots, appointments and treatments, for every role.

Roles as in test_care_authorization: anonymous, the patient (pat), another patient (other), a
doctor with a grant from pat (doc, also the doctor of the slots), a doctor without one
(stranger), a pharmacist, an admin. State-changing calls act on a fresh object per role.
A last test fails when a route of these families is registered without a row here.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from models.identity import Identity
from models.scheduling import ReserveIn, SlotIn
from models.treatments import TreatmentIn
from server.keys import APPOINTMENTS, CLOCK, SLOTS, TREATMENTS
from tests.support.alerting import START
from tests.support.helpers import world

pytestmark = pytest.mark.ward  # FakeClock at START
ROLES = ("anonymous", "pat", "other", "doc", "stranger", "ph1", "admin")
PREFIXES = ("/api/slots", "/api/appointments", "/api/treatments", "/api/me/timezone")


def expect(default: int, **per_role: int) -> dict[str, int]:
    return {"anonymous": 401, **dict.fromkeys(ROLES[1:], default), **per_role}


class Fresh:
    """Objects made through the services, one per call of a state-changing route."""

    def __init__(self, app, w) -> None:
        self.app, self.w = app, w
        self.hours = itertools.count(100)

    def who(self, name: str, role: str) -> Identity:
        return Identity(self.w.ids[name], role, "jti", "fam", 1e12)

    async def slot(self) -> dict:
        start = self.app[CLOCK].now() + timedelta(hours=next(self.hours))
        return await self.app[SLOTS].create(self.who("doc", "doctor"), SlotIn(start=start,
                                                                               end=start + timedelta(minutes=30)))

    async def reserve_body(self) -> dict:
        return {"slot_id": (await self.slot())["_id"], "doctor_id": self.w.ids["doc"]}

    async def appointment(self) -> str:
        booked = await self.app[APPOINTMENTS].book(self.who("pat", "patient"),
                                                   ReserveIn(slot_id=(await self.slot())["_id"],
                                                             doctor_id=self.w.ids["doc"]))
        return booked["appointment"]["id"]

    async def treatment(self) -> str:
        body = TreatmentIn(medocs_name="X", frequency=1, duration_days=3, started_at=START)
        return (await self.app[TREATMENTS].create(self.who("pat", "patient"), body))["id"]


@pytest.fixture
async def setup(api, app):
    w = await world(api)
    await w.grant("doc", "pat")
    fresh = Fresh(app, w)
    yield w, fresh, {"pat": w.ids["pat"], "treatment": await fresh.treatment()}
    await w.close()


def cases(ids: dict, fresh: Fresh) -> list[tuple]:
    """(method, path or async factory, body or async factory, expected per role)."""
    pat, t = ids["pat"], ids["treatment"]
    slot_body = {"start": (START + timedelta(hours=2)).isoformat(), "end": (START + timedelta(hours=3)).isoformat()}
    read_one = expect(403, pat=200, other=404, doc=200, stranger=404)
    change = expect(403, pat=200, other=404, stranger=404)  # doc: 403 not_owner (the patient added it)

    async def cancel():
        return f"/api/appointments/{await fresh.appointment()}/cancel/"

    async def treatment():
        return f"/api/treatments/{await fresh.treatment()}/"

    async def intakes():
        return f"/api/treatments/{await fresh.treatment()}/intakes/"

    return [
        ("POST", "/api/slots/", slot_body, expect(403, doc=201, stranger=201)),
        ("GET", "/api/slots/available/", None, expect(403, pat=200, other=200)),
        ("POST", "/api/slots/reserve/", fresh.reserve_body, expect(403, pat=201, other=201)),
        ("GET", "/api/appointments/doctor/", None, expect(403, doc=200, stranger=200)),
        ("GET", "/api/appointments/patient/", None, expect(403, pat=200, other=200)),
        ("POST", cancel, {"reason": "r"}, expect(403, pat=200, doc=200, other=404, stranger=404)),
        ("GET", f"/api/treatments/?patient_id={pat}", None, expect(403, pat=200, other=404, doc=200)),
        ("POST", "/api/treatments/", {"medocs_name": "X", "frequency": 1, "duration_days": 1, "patient_id": pat},
         expect(403, pat=201, other=404, doc=201)),
        ("GET", f"/api/treatments/{t}/", None, read_one),
        ("PUT", treatment, {"frequency": 2}, change),
        ("DELETE", treatment, None, change | {"pat": 204}),
        ("GET", f"/api/treatments/{t}/intakes/", None, read_one),
        ("POST", intakes, {"due_at": START.replace(hour=8).isoformat(), "status": "taken"},
         expect(403, pat=200, other=404)),
        ("GET", f"/api/treatments/{t}/adherence/", None, read_one),
        ("PUT", "/api/me/timezone", {"timezone": "Africa/Dakar"}, expect(200)),
        # unknown ids: 404 for whoever would otherwise be allowed
        ("POST", "/api/appointments/nope/cancel/", {"reason": "r"}, expect(403, pat=404, other=404, doc=404,
                                                                            stranger=404)),
        ("GET", "/api/treatments/nope/", None, expect(403, pat=404, other=404, doc=404, stranger=404)),
    ]


async def test_every_route_for_every_role(setup):
    w, fresh, ids = setup
    failures = []
    for method, path, body, expected in cases(ids, fresh):
        for role in ROLES:
            where = await path() if callable(path) else path
            data = await body() if callable(body) else body
            status, answer = await w.call(None if role == "anonymous" else role, method, where, json=data)
            if status != expected[role]:
                failures.append(f"{method} {where} as {role}: {status} (expected {expected[role]}) {answer}")
            if status >= 400:
                assert set(answer) == {"error"}, answer  # refusals never carry data
    assert not failures, "\n".join(failures)


def test_every_route_of_these_families_has_a_row(app):
    registered = {(r.method, r.resource.canonical) for r in app.router.routes()
                  if r.method not in ("HEAD", "OPTIONS") and r.resource.canonical.startswith(PREFIXES)}
    fake = Fresh(app, None)
    listed = set()
    for method, path, *_ in cases({"pat": "P", "treatment": "{id}"}, fake):
        if callable(path):
            path = {"cancel": "/api/appointments/{id}/cancel/", "treatment": "/api/treatments/{id}/",
                    "intakes": "/api/treatments/{id}/intakes/"}[path.__name__]
        listed.add((method, path.split("?")[0].replace("/nope/", "/{id}/")))
    assert registered - listed == set(), "routes without a row in the authorization table"
