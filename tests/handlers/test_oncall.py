"""The on-call rota of a care unit over REST: who may edit and read it, its validation (field errors),
the live `oncall:changed` to the unit's staff, and the unit's seniors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from server.keys import CARE_UNITS, SIO
from tests.support.alerting import cast
from tests.support.helpers import Recorder, settle

pytestmark = pytest.mark.ward


def iso(t: datetime) -> str:
    return t.isoformat()


async def rota_ward(api, app, clock) -> dict:
    """cast() with a senior (`senior`) and one more staff doctor (`oncall`) in the ward."""
    people = await cast(api)
    unit_id = people["unit"]["_id"]
    for name in ("senior", "oncall"):
        people[name] = await api.user(f"{name}_{people['pid'][:6]}", "doctor")
        await app[CARE_UNITS].add_staff(unit_id, people[name][0]["id"])
    await app[CARE_UNITS].add_senior(unit_id, people["senior"][0]["id"])
    people["base"] = f"/api/care-units/{unit_id}"
    return people


async def test_only_admins_and_the_units_seniors_edit_the_rota(api, app, clock):
    people = await rota_ward(api, app, clock)
    now, oncall = clock.now(), people["oncall"][0]["id"]
    url = f"{people['base']}/oncall"
    # plain staff, a doctor of no relation, a patient, a pharmacist: 403, whatever the body
    for who in ("ward", "stranger", "patient", "pharma"):
        body = {"doctor_id": oncall, "from": iso(now), "to": iso(now + timedelta(hours=8))}
        status, out = await api.call("POST", url, people[who][1], json=body)
        assert status == 403, (who, out)
    created = []
    for i, who in enumerate(("admin", "senior")):
        start = now + timedelta(hours=12 * i)
        status, out = await api.call("POST", url, people[who][1], json={
            "doctor_id": oncall, "from": iso(start), "to": iso(start + timedelta(hours=12))})
        assert status == 201, (who, out)
        assert out["doctor_id"] == oncall and out["created_by"] == people[who][0]["id"]
        created.append(out["id"])
    status, _ = await api.call("DELETE", f"{url}/{created[0]}", people["ward"][1])
    assert status == 403
    status, _ = await api.call("DELETE", f"{url}/{created[0]}", people["senior"][1])
    assert status == 204
    status, out = await api.call("DELETE", f"{url}/{created[0]}", people["admin"][1])
    assert status == 404 and out["error"]["code"] == "oncall_not_found"
    # reading: the unit's staff and admins; not a doctor of another unit
    status, out = await api.call("GET", url, people["ward"][1])
    assert status == 200 and [e["id"] for e in out["entries"]] == [created[1]]
    assert out["on_call_now"] == []                            # the remaining entry starts in 12 h
    assert (await api.call("GET", url, people["admin"][1]))[0] == 200
    assert (await api.call("GET", url, people["stranger"][1]))[0] == 403
    # seniors are named by admins only, among the unit's staff
    seniors = f"{people['base']}/seniors"
    status, _ = await api.call("POST", seniors, people["senior"][1], json={"user_id": people["ward"][0]["id"]})
    assert status == 403
    status, out = await api.call("POST", seniors, people["admin"][1], json={"user_id": people["stranger"][0]["id"]})
    assert status == 400 and out["error"]["details"][0]["field"] == "user_id"
    status, _ = await api.call("DELETE", f"{seniors}/{people['senior'][0]['id']}", people["admin"][1])
    assert status == 200
    status, _ = await api.call("POST", url, people["senior"][1], json={
        "doctor_id": oncall, "from": iso(now + timedelta(days=3)), "to": iso(now + timedelta(days=3, hours=1))})
    assert status == 403                                       # no longer a senior


def bad_inputs(people: dict, now: datetime) -> list[tuple[str, dict, int, str, str]]:
    """(case, body, status, field or error code, ...) for the rota's validation."""
    oncall = people["oncall"][0]["id"]

    def body(**kw):
        return {"doctor_id": oncall, "from": iso(now + timedelta(hours=1)), "to": iso(now + timedelta(hours=9)),
                **kw}

    return [
        ("no doctor", {k: v for k, v in body().items() if k != "doctor_id"}, 400, "doctor_id"),
        ("from after to", body(to=iso(now)), 400, "to"),
        ("from equals to", body(to=body()["from"]), 400, "to"),
        ("longer than 7 days", body(to=iso(now + timedelta(days=8))), 400, "to"),
        ("no time zone", body(**{"from": "2026-03-01T09:00:00"}), 400, "from"),
        ("not a date", body(to="tomorrow"), 400, "to"),
        ("unknown field", body(note="x"), 400, "note"),
        ("already over", body(**{"from": iso(now - timedelta(hours=3)), "to": iso(now - timedelta(hours=1))}),
         400, "to"),
        ("a patient", body(doctor_id=people["patient"][0]["id"]), 400, "doctor_id"),
        ("not staff of the unit", body(doctor_id=people["stranger"][0]["id"]), 400, "doctor_id"),
        ("no such user", body(doctor_id="nobody"), 400, "doctor_id"),
    ]


async def test_bad_entries_get_field_errors_and_overlaps_a_409(api, app, clock):
    people = await rota_ward(api, app, clock)
    url, admin, now = f"{people['base']}/oncall", people["admin"][1], clock.now()
    for case, body, status, field in bad_inputs(people, now):
        got, out = await api.call("POST", url, admin, json=body)
        assert got == status, (case, out)
        assert field in [d["field"] for d in out["error"]["details"]], (case, out)
    good = {"doctor_id": people["oncall"][0]["id"], "from": iso(now), "to": iso(now + timedelta(hours=8))}
    assert (await api.call("POST", url, admin, json=good))[0] == 201
    overlap = {**good, "from": iso(now + timedelta(hours=7)), "to": iso(now + timedelta(hours=10))}
    status, out = await api.call("POST", url, admin, json=overlap)
    assert status == 409 and out["error"]["code"] == "oncall_overlap"
    # another doctor may be on call at the same time; the same doctor right after the first entry too
    other = {**good, "doctor_id": people["senior"][0]["id"]}
    assert (await api.call("POST", url, admin, json=other))[0] == 201
    after = {**good, "from": good["to"], "to": iso(now + timedelta(hours=16))}
    assert (await api.call("POST", url, admin, json=after))[0] == 201
    status, out = await api.call("GET", url, people["ward"][1])
    assert status == 200 and len(out["entries"]) == 3 and out["truncated"] is False
    assert out["on_call_now"] == sorted([people["oncall"][0]["id"], people["senior"][0]["id"]])
    # a doctor who leaves the unit is no longer on call there, though their entry stays in the rota
    await app[CARE_UNITS].remove_staff(people["unit"]["_id"], people["senior"][0]["id"])
    status, out = await api.call("GET", url, people["ward"][1])
    assert out["on_call_now"] == [people["oncall"][0]["id"]] and len(out["entries"]) == 3
    status, out = await api.call("GET", f"{url}?from={iso(now + timedelta(hours=9))}".replace("+", "%2B"),
                                 people["ward"][1])
    assert status == 200 and [e["from"] for e in out["entries"]] == [after["from"]]
    status, out = await api.call("GET", f"{url}?from=yesterday", people["ward"][1])
    assert status == 400 and out["error"]["details"][0]["field"] == "from"


async def test_rota_changes_reach_the_units_staff_live(api, app, clock):
    people = await rota_ward(api, app, clock)
    names = ("ward", "oncall", "stranger")
    recs = {n: await Recorder(api, people[n][1]).connect() for n in names}
    url, now = f"{people['base']}/oncall", clock.now()
    status, entry = await api.call("POST", url, people["senior"][1], json={
        "doctor_id": people["oncall"][0]["id"], "from": iso(now), "to": iso(now + timedelta(hours=8))})
    assert status == 201
    assert (await api.call("DELETE", f"{url}/{entry['id']}", people["senior"][1]))[0] == 204
    await settle(app[SIO], recs, {n: people[n][0]["id"] for n in names})
    for name in ("ward", "oncall"):
        got = recs[name].of("oncall:changed")
        assert [(e["change"], e["entry"]["id"]) for e in got] == [("added", entry["id"]), ("removed", entry["id"])]
        assert got[0]["unit_id"] == people["unit"]["_id"] and got[0]["entry"]["to"] == entry["to"]
    assert recs["stranger"].of("oncall:changed") == []
    for rec in recs.values():
        await rec.disconnect()


def care_unit_routes(unit_id: str, user_id: str, entry_id: str) -> list[tuple[str, str, dict | None, set[str]]]:
    """(method, path, body, roles allowed) for every care-unit route; the others get 403 and only an error."""
    base = f"/api/care-units/{unit_id}"
    member = {"user_id": user_id}
    return [
        ("POST", "/api/care-units/", {"name": "Another ward"}, {"admin"}),
        ("GET", "/api/care-units/", None, {"admin", "senior", "ward", "stranger", "doctor"}),  # their own units
        ("GET", base, None, {"admin", "senior", "ward"}),
        ("GET", f"{base}/summary", None, {"senior", "ward"}),
        ("POST", f"{base}/staff", member, {"admin"}),
        ("DELETE", f"{base}/staff/{user_id}", None, {"admin"}),
        ("POST", f"{base}/patients", member, {"admin"}),
        ("DELETE", f"{base}/patients/{user_id}", None, {"admin"}),
        ("POST", f"{base}/seniors", member, {"admin"}),
        ("DELETE", f"{base}/seniors/{user_id}", None, {"admin"}),
        ("GET", f"{base}/oncall", None, {"admin", "senior", "ward"}),
        ("POST", f"{base}/oncall", {"doctor_id": user_id, "from": "2026-03-01T08:00:00Z",
                                    "to": "2026-03-01T20:00:00Z"}, {"admin", "senior"}),
        ("DELETE", f"{base}/oncall/{entry_id}", None, {"admin", "senior"}),
    ]


async def test_every_care_unit_route_refuses_whoever_it_should(api, app, clock):
    people = await rota_ward(api, app, clock)
    roles = ("admin", "senior", "ward", "stranger", "doctor", "patient", "pharma")
    routes = care_unit_routes(people["unit"]["_id"], people["oncall"][0]["id"], "no-such-entry")
    registered = {(r.method, r.resource.canonical) for r in app.router.routes()
                  if r.method not in ("HEAD", "OPTIONS") and r.resource.canonical.startswith("/api/care-units")}
    listed = {(m, p.replace(people["unit"]["_id"], "{unit_id}").replace(people["oncall"][0]["id"], "{user_id}")
               .replace("no-such-entry", "{entry_id}")) for m, p, _, _ in routes}
    listed |= {(m, p.replace("{user_id}", "{patient_id}")) for m, p in listed if "/patients/" in p}
    assert registered - listed == set(), "care-unit routes without a row"
    failures = []
    for method, path, body, allowed in routes:
        for role in roles:
            if role in allowed:
                continue
            status, answer = await api.call(method, path, people[role][1], json=body)
            if status != 403 or set(answer) != {"error"}:
                failures.append(f"{method} {path} as {role}: {status} {answer}")
    assert not failures, "\n".join(failures)
    # the readers allowed read (the writes are exercised above, each with its effect)
    for method, path, _body, allowed in routes:
        if method == "GET":
            for role in allowed:
                assert (await api.call(method, path, people[role][1]))[0] == 200, (path, role)
