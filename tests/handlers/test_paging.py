"""Every list is paged along an indexed key with a `next` cursor and says when it is truncated:
following the cursors gives every item once, in order, and the last page says it is the last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.helpers import world
from tests.support.iot import people, provision


async def pages(api, path: str, token: str, *, key=None) -> list[list]:
    """Follow a list to its end: a body list with X-Next-Cursor/Link, or an object with `next` under `key`."""
    out, url = [], path
    for _ in range(20):
        resp = await api.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        if key is None:
            out.append(body)
            nxt = resp.headers.get("X-Next-Cursor")
            if nxt is None:
                assert "Link" not in resp.headers
                return out
            assert resp.headers["Link"].endswith('; rel="next"') and f"cursor={nxt}" in resp.headers["Link"]
            url = resp.headers["Link"][1:resp.headers["Link"].index(">")]
        else:
            out.append(body[key])
            assert body["truncated"] is (body["next"] is not None)
            if body["next"] is None:
                return out
            url = f"{path}&cursor={body['next']}"
    raise AssertionError("the cursors never ended")


async def test_users_audit_and_prescriptions_are_paged(api):
    w = await world(api)  # 7 accounts
    users = await pages(api, "/api/users/?limit=3", w.tokens["admin"])
    assert [len(p) for p in users] == [3, 3, 1]
    names = [u["username"] for p in users for u in p]
    assert names == sorted(w.ids)  # by username, each once
    assert [len(p) for p in await pages(api, "/api/users/?role=pharmacist&limit=1", w.tokens["admin"])] == [1, 1]

    await w.grant("doc", "pat", scopes=("records", "prescriptions"))
    for _ in range(5):
        assert (await w.call("doc", "GET", f"/api/patients/{w.ids['pat']}/records"))[0] == 200
    trail = await pages(api, "/api/audit/me?limit=2", w.tokens["pat"])
    assert [len(p) for p in trail] == [2, 2, 1]
    ats = [t["at"] for p in trail for t in p]
    assert ats == sorted(ats, reverse=True) and len({t["id"] for p in trail for t in p}) == 5

    med = {"name": "Amlodipine", "dose": "5 mg", "frequency": "daily", "duration": "30 days", "quantity": 30,
           "notes": ""}
    made = []
    for _ in range(3):
        status, rx = await w.call("doc", "POST", "/api/prescriptions",
                                  {"patient_id": w.ids["pat"], "medications": [med], "notes": ""})
        assert status == 201, rx
        made.append(rx["id"])
    queue = await pages(api, "/api/prescriptions?limit=2", w.tokens["ph1"])
    assert [len(p) for p in queue] == [2, 1]
    assert [rx["id"] for p in queue for rx in p] == made[::-1]  # newest first
    status, err = await w.call("ph1", "GET", "/api/prescriptions?cursor=not-a-cursor")
    assert status == 400 and err["error"]["details"][0]["field"] == "cursor"


async def test_raw_history_and_rejected_readings_are_paged(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    start = datetime.now(UTC) - timedelta(hours=1)
    for n in range(5):
        status, _ = await api.call("POST", "/api/iot/data", dev["token"], json={
            "seq": n + 1, "ts": (start + timedelta(minutes=n)).isoformat(), "readings": {"heart_rate": 60 + n}})
        assert status == 200
    for n in range(3):
        status, _ = await api.call("POST", "/api/iot/data", dev["token"], json={"seq": 100 + n, "readings": "x"})
        assert status in (400, 422)
    path = f"/api/iot/patients/{p['patient']['id']}/vitals/history?kind=heart_rate&bucket=raw&limit=2"
    points = await pages(api, path, p["doctor_token"], key="points")
    assert [len(x) for x in points] == [2, 2, 1]
    assert [pt["avg"] for x in points for pt in x] == [60, 61, 62, 63, 64]  # in time order, each once
    rejected = await pages(api, f"/api/iot/devices/{dev['id']}/rejected?limit=2", p["admin"], key="recent")
    assert [len(x) for x in rejected] == [2, 1]
