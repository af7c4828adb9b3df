"""Care units: admin-managed membership, unit staff see vitals and alerts, `unit:<id>` room and summary."""

from __future__ import annotations

import asyncio

import pytest

from models.identity import Identity
from rooms.access import may_access
from server.keys import ALERT_ENGINE, CLOCK, DB
from tests.support.alerting import NORMAL, cast, feed
from tests.support.helpers import Recorder, until

pytestmark = pytest.mark.ward


def who(user: dict, role: str = "doctor") -> Identity:
    return Identity(user["id"], role, "jti", "fam", 0)


async def test_admin_manages_units_and_membership_gives_vitals_access(api, app):
    _, admin = await api.user("boss", "admin")
    nurse, nurse_token = await api.user("nurse", "doctor")
    patient, _ = await api.user("pat", "patient")
    status, unit = await api.call("POST", "/api/care-units/", admin, json={"name": "Cardiology A", "kind": "ward"})
    assert status == 201
    status, _ = await api.call("POST", "/api/care-units/", admin, json={"name": "cardiology a"})
    assert status == 409
    status, _ = await api.call("POST", "/api/care-units/", nurse_token, json={"name": "Mine"})
    assert status == 403
    base = f"/api/care-units/{unit['id']}"
    status, body = await api.call("POST", f"{base}/staff", admin, json={"user_id": patient["id"]})
    assert status == 400 and body["error"]["code"] == "wrong_role"
    db, clock = app[DB], app[CLOCK]
    assert not await may_access(db, clock, who(nurse), patient["id"], "vitals")
    assert (await api.call("POST", f"{base}/staff", admin, json={"user_id": nurse["id"]}))[0] == 200
    assert (await api.call("POST", f"{base}/patients", admin, json={"user_id": patient["id"]}))[0] == 200
    assert await may_access(db, clock, who(nurse), patient["id"], "vitals")
    assert not await may_access(db, clock, who(nurse), patient["id"], "records")  # the unit is not a grant
    status, units = await api.call("GET", "/api/care-units/", nurse_token)
    assert [u["name"] for u in units] == ["Cardiology A"]
    status, _ = await api.call("DELETE", f"{base}/staff/{nurse['id']}", admin)
    assert status == 200
    assert not await may_access(db, clock, who(nurse), patient["id"], "vitals")
    status, units = await api.call("GET", "/api/care-units/", nurse_token)
    assert units == []


async def test_unit_room_gets_alerts_and_summary_for_staff_only(api, app):
    people = await cast(api)
    unit_id = people["unit"]["_id"]
    ward = await Recorder(api, people["ward"][1]).connect()
    stranger = await Recorder(api, people["stranger"][1]).connect()
    ack = await ward.call("unit:watch", {"unit_id": unit_id})
    assert ack["ok"] and ack["data"]["unit"]["id"] == unit_id
    assert [p["id"] for p in ack["data"]["patients"]] == [people["pid"]]
    assert [d["id"] for d in ack["data"]["devices"]["active"]] == [people["device"]["_id"]]
    refused = await stranger.call("unit:watch", {"unit_id": unit_id})
    assert not refused["ok"] and refused["error"]["code"] == "not_unit_staff"
    await feed(app, people["device"], {**NORMAL, "heart_rate": 135}, times=14)
    await until(lambda: any(e["alert"]["type"] == "heart_rate_high" for e in ward.of("alert:raised")))
    assert await app[ALERT_ENGINE].units.summaries_due() == 1
    assert await app[ALERT_ENGINE].units.summaries_due() == 0  # claimed for this period
    await until(lambda: len(ward.of("unit:summary")) == 1)
    summary = ward.of("unit:summary")[0]
    (patient,) = summary["patients"]
    assert patient["news2"]["parameters"]["heart_rate"]["score"] == 3
    assert "heart_rate_high" in {a["type"] for a in patient["open_alerts"]}
    assert stranger.of("unit:summary") == [] and stranger.of("alert:raised") == []
    await ward.disconnect()
    await stranger.disconnect()


async def test_unit_staff_watch_vitals_without_grant_until_removed(api, app):
    people = await cast(api)
    pid, unit_id = people["pid"], people["unit"]["_id"]
    ward = await Recorder(api, people["ward"][1]).connect()
    ack = await ward.call("vitals:watch", {"patient_id": pid})
    assert ack["ok"], ack
    stranger = await Recorder(api, people["stranger"][1]).connect()
    refused = await stranger.call("vitals:watch", {"patient_id": pid})
    assert not refused["ok"]
    await stranger.disconnect()
    await feed(app, people["device"], NORMAL)
    await until(lambda: len(ward.of("vitals:new")) == 1)
    status, _ = await api.call("DELETE", f"/api/care-units/{unit_id}/patients/{pid}", people["admin"][1])
    assert status == 200
    await feed(app, people["device"], NORMAL)
    await until(lambda: len(ward.of("vitals:new")) == 1)
    await asyncio.sleep(0.3)
    assert len(ward.of("vitals:new")) == 1  # left patient:<id> with the unit membership
    again = await ward.call("vitals:watch", {"patient_id": pid})
    assert not again["ok"]
    await ward.disconnect()
