"""HTTP device path: one reading set, a replayed offline buffer, per-item results, identity."""

from __future__ import annotations

from server.keys import DB
from tests.support.iot import people, provision, stored_count, watching_doctor


async def test_data_then_batch_replay_is_stored_once(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    doctor, inbox = await watching_doctor(api, p)
    # the earlier firmware's body shape: device_id, data, battery_level
    status, body = await api.call("POST", "/api/iot/data", dev["token"], json={
        "device_id": dev["id"], "seq": 1, "data": {"temperature": 36.6, "heart_rate": 71, "humidity": 40},
        "battery_level": 88})
    assert status == 200 and body == {"status": "accepted", "id": f"{dev['id']}:1", "seq": 1}
    await inbox.wait(lambda i: i.of("vitals:new"))
    assert inbox.of("vitals:new")[0]["readings"]["heart_rate"]["value"] == 71
    buffer = [{"seq": n, "ts": f"2026-01-01T00:0{n}:00Z", "readings": {"heart_rate": 60 + n}} for n in range(1, 6)]
    buffer.append({"seq": 6, "readings": {"heart_rate": 1000}})
    status, body = await api.call("POST", "/api/iot/batch", dev["token"], json={"measurements": buffer})
    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["duplicate"] + ["accepted"] * 4 + ["rejected"]
    assert body["results"][5]["code"] == "out_of_range" and "heart_rate" in body["results"][5]["reason"]
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (4, 1, 1)
    # the whole buffer again: nothing new is stored
    status, body = await api.call("POST", "/api/iot/batch", dev["token"], json={"measurements": buffer[:5]})
    assert [r["status"] for r in body["results"]] == ["duplicate"] * 5
    assert await stored_count(api.client.app[DB], device_id=dev["id"]) == 5
    status, device = await api.call("GET", f"/api/iot/devices/{dev['id']}", p["admin"])
    assert device["battery"] == 88 and device["rejected_count"] == 1 and device["last_seen"]
    await doctor.disconnect()


async def test_readings_without_seq_get_a_content_seq(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    item = {"ts": "2026-01-01T00:00:00Z", "readings": {"spo2": 95}}
    first = await api.call("POST", "/api/iot/data", dev["token"], json=item)
    again = await api.call("POST", "/api/iot/data", dev["token"], json=item)
    other = await api.call("POST", "/api/iot/data", dev["token"], json={**item, "readings": {"spo2": 96}})
    assert first[1]["status"] == "accepted" and first[1]["seq"] < 0
    assert again[1] == {**first[1], "status": "duplicate"}
    assert other[1]["status"] == "accepted" and other[1]["seq"] != first[1]["seq"]


async def test_bad_requests_and_impersonation(api):
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"])
    other = await provision(api, p["admin"], p["patient"]["id"])
    ok = {"seq": 1, "readings": {"heart_rate": 70}}
    assert (await api.call("POST", "/api/iot/data", None, json=ok))[0] == 401
    assert (await api.call("POST", "/api/iot/data", "fdj_forged", json=ok))[0] == 401
    assert (await api.call("POST", "/api/iot/data", p["doctor_token"], json=ok))[0] == 401
    status, body = await api.call("POST", "/api/iot/data", dev["token"], json=ok,
                                  headers={"X-Device-ID": other["id"]})
    assert status == 403 and body["error"]["code"] == "device_mismatch"
    status, body = await api.call("POST", "/api/iot/data", dev["token"], json={**ok, "device_id": other["id"]})
    assert status == 422 and body["error"]["code"] == "device_mismatch"
    status, body = await api.call("POST", "/api/iot/data", dev["token"], data=b"{not json",
                                  headers={"Content-Type": "application/json"})
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, body = await api.call("POST", "/api/iot/batch", dev["token"], json={"measurements": []})
    assert status == 400
    status, body = await api.call("POST", "/api/iot/batch", dev["token"], json={"measurements": ["x", 3, None]})
    assert [r["status"] for r in body["results"]] == ["rejected"] * 3
    assert await stored_count(api.client.app[DB]) == 0
    # revoked: refused at once
    await api.call("POST", f"/api/iot/devices/{dev['id']}/revoke", p["admin"])
    assert (await api.call("POST", "/api/iot/data", dev["token"], json=ok))[0] == 401


async def test_unassigned_device_readings_are_rejected(api):
    p = await people(api)
    dev = await provision(api, p["admin"], None)
    status, body = await api.call("POST", "/api/iot/data", dev["token"], json={"seq": 1, "readings": {"spo2": 97}})
    assert status == 422 and body["error"]["code"] == "unassigned_device"


async def test_lorawan_webhooks_are_off_without_a_secret(api):
    status, err = await api.call("POST", "/api/iot/lorawan/tts", json={}, headers={"X-Webhook-Secret": "x" * 20})
    assert status == 503 and err["error"]["code"] == "lorawan_disabled"
