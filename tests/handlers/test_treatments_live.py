"""Treatment events reach the doctors who may see the patient's treatments, live, once each.

A doctor with an active `prescriptions` grant who has the patient's treatments open must see an
intake confirmed or a treatment changed by someone else without reloading. A doctor whose grant
covers only `vitals`, or was revoked, or expired, and any other patient, hear nothing.
"""

from __future__ import annotations

import dataclasses

import pytest

from server.keys import CLOCK, INTAKES, SIO
from tests.support.helpers import World, settle

pytestmark = pytest.mark.ward  # FakeClock at START = 2026-03-01 08:00 UTC, long-lived tokens

PARA = {"medocs_name": "Paracétamol", "frequency": 2, "duration_days": 3}
CAST = (("pat", "patient"), ("other", "patient"), ("doc", "doctor"), ("vit", "doctor"), ("revoked", "doctor"),
        ("expired", "doctor"), ("stranger", "doctor"))


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, reminder_tick_s=3600.0)  # no reminder pass behind the test's back


@pytest.fixture
async def w(api, app):
    cast = World(api)
    for name, role in CAST:
        await cast.add(name, role)
    await cast.grant("expired", "pat", scopes=("prescriptions",), days=1)
    app[CLOCK].advance(2 * 86400)  # that grant has expired; 08:00 again, when a 2-a-day course takes its first
    await cast.grant("doc", "pat", scopes=("prescriptions",))
    await cast.grant("doc", "pat", scopes=("records", "prescriptions"))  # two active grants: still one event
    await cast.grant("vit", "pat", scopes=("vitals",))
    decided = await cast.grant("revoked", "pat", scopes=("prescriptions",))
    assert (await cast.call("pat", "POST", f"/api/grants/{decided['grant_id']}/revoke"))[0] == 200
    yield cast
    await cast.close()


def live(device) -> list[str]:
    return [name for name in device.names() if name.startswith("treatment:")]


async def test_a_granted_doctor_sees_an_intake_confirmed_once(w, app):
    devices = {name: await w.device(name) for name, _ in CAST}
    _, t = await w.call("pat", "POST", "/api/treatments/", PARA)    # 2 a day from now: the first is due now
    status, taken = await w.call("pat", "POST", f"/api/treatments/{t['id']}/intakes/",
                                 {"due_at": t["next_intake_at"], "status": "taken"})
    assert status == 200
    await settle(app[SIO], devices, w.ids)
    assert devices["doc"].of("treatment:intake_recorded") == [taken]
    assert devices["pat"].of("treatment:intake_recorded") == [taken]
    for name in ("other", "vit", "revoked", "expired", "stranger"):
        assert live(devices[name]) == [], name


async def test_a_granted_doctor_follows_changes_made_by_the_patient(w, app):
    devices = {name: await w.device(name) for name, _ in CAST}
    _, t = await w.call("pat", "POST", "/api/treatments/", PARA)
    _, changed = await w.call("pat", "PUT", f"/api/treatments/{t['id']}/", {"frequency": 1})
    assert (await w.call("pat", "DELETE", f"/api/treatments/{t['id']}/"))[0] == 204
    await settle(app[SIO], devices, w.ids)
    for name in ("doc", "pat"):
        assert live(devices[name]) == ["treatment:created", "treatment:updated", "treatment:deleted"], name
        assert devices[name].of("treatment:updated") == [changed]
        assert devices[name].of("treatment:deleted") == [{"id": t["id"], "patient_id": w.ids["pat"]}]
    for name in ("other", "vit", "revoked", "expired", "stranger"):
        assert live(devices[name]) == [], name


async def test_the_audience_is_read_at_each_event(w, app):
    """Revoking after the treatment was created stops the next event; the reminder is the patient's only."""
    devices = {name: await w.device(name) for name in ("pat", "doc")}
    _, t = await w.call("doc", "POST", "/api/treatments/", {**PARA, "patient_id": w.ids["pat"]})
    assert [d["treatment_id"] for d in await app[INTAKES].remind_due()] == [t["id"]]  # due now
    await settle(app[SIO], devices, w.ids)
    assert live(devices["doc"]) == ["treatment:created"]
    assert live(devices["pat"]) == ["treatment:created", "treatment:intake_due"]
    _, grants = await w.call("pat", "GET", "/api/grants")
    mine = [g["id"] for g in grants if g["doctor_id"] == w.ids["doc"]]
    assert len(mine) == 2
    for grant_id in mine:
        assert (await w.call("pat", "POST", f"/api/grants/{grant_id}/revoke"))[0] == 200
    assert (await w.call("pat", "POST", f"/api/treatments/{t['id']}/intakes/",
                         {"due_at": t["next_intake_at"], "status": "skipped"}))[0] == 200
    await settle(app[SIO], devices, w.ids)
    assert live(devices["doc"]) == ["treatment:created"]
    assert live(devices["pat"]) == ["treatment:created", "treatment:intake_due", "treatment:intake_recorded"]
