"""Two server processes, one database, one real redis-server: they behave as one system.

A device on process A, a doctor on process B: the doctor sees the vitals live, gets the
alert the readings raise on A and its inbox notification, and the unacknowledged alert is
escalated once although both processes run the escalation loop. Run with our room-aware
Redis manager (the default) and with python-socketio's stock one.
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import socketio

from server.realtime import events
from tests.support.iot import Inbox
from tests.support.processes import free_port, mint_token, two_servers


@pytest.fixture
def redis_port(tmp_path):
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            done = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True)
            if done.stdout.strip() == b"PONG":
                break
            subprocess.run(["sleep", "0.05"])
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(params=["rooms", "broadcast"])
def cluster(request, mongo_uri, db_name, redis_port, tmp_path, symptoms_model_dir):
    with two_servers(tmp_path, mongo_uri, db_name, redis_port, symptoms_model_dir, REDIS_MANAGER=request.param,
                     ALERT_TICK_S="1", ALERT_ESCALATION_CRITICAL_S="2", ALERT_ESCALATION_MIN_REPEAT_S="600") as c:
        yield c


def seed(db, patient: str, doctor: str) -> None:
    now = datetime.now(UTC)
    db["users"].insert_many([
        {"_id": uid, "username": uid, "username_lower": uid, "password_hash": "!", "role": role, "email": None,
         "first_name": "", "last_name": "", "profile": {}, "is_active": True, "created_at": now}
        for uid, role in ((patient, "patient"), (doctor, "doctor"))])
    db["grants"].insert_one({"_id": "g1", "patient_id": patient, "doctor_id": doctor, "scopes": ["vitals"],
                             "expires_at": now + timedelta(days=1), "revoked_at": None})
    # fire on the second critical heart rate at once (defaults wait 30 s)
    db["alert_configs"].insert_one({"_id": patient, "overrides": {"heart_rate_high": {"duration_s": 0}},
                                    "spo2_scale": 1})


async def provision(url: str, admin: str, patient: str) -> tuple[str, str]:
    import aiohttp
    async with aiohttp.ClientSession() as s, s.post(
            url + "/api/iot/devices", headers={"Authorization": f"Bearer {admin}"},
            json={"name": "bedside", "type": "multi_sensor", "mac": "02:00:00:00:00:01", "patient_id": patient}) as r:
        body = await r.json()
        assert r.status == 201, body
        return body["id"], body["token"]


async def test_two_processes_are_one_system(cluster):
    seed(cluster["db"], "pat-1", "doc-1")
    device_id, device_token = await provision(cluster["a"], mint_token(cluster["secret"], "adm", "admin"), "pat-1")

    doctor = socketio.AsyncClient(reconnection=False)
    inbox = Inbox(doctor, events.VITALS_NEW, events.ALERT_RAISED, events.NOTIFICATION_NEW)
    await doctor.connect(cluster["b"], auth={"token": mint_token(cluster["secret"], "doc-1", "doctor"), "last_seq": 0},
                         transports=["websocket"], wait_timeout=5)
    device = socketio.AsyncClient(reconnection=False)
    await device.connect(cluster["a"], auth={"device_id": device_id, "token": device_token},
                         transports=["websocket"], namespaces=["/devices"], wait_timeout=5)
    try:
        ack = await doctor.call(events.VITALS_WATCH, {"patient_id": "pat-1"}, timeout=10)
        assert ack["ok"], ack
        now = datetime.now(UTC).timestamp()
        ack = await device.call(events.VITALS_SEND, {"seq": 1, "ts": now, "readings": {"heart_rate": 80}},
                                namespace="/devices", timeout=10)
        assert ack["ok"] and ack["data"]["status"] == "accepted", ack

        # vitals from the device on A reach the doctor watching on B
        await inbox.wait(lambda i: any(v["seq"] == 1 for v in i.of(events.VITALS_NEW)), within=10)

        for seq in (2, 3):
            ack = await device.call(events.VITALS_SEND, {"seq": seq, "ts": now + seq, "readings": {"heart_rate": 140}},
                                    namespace="/devices", timeout=10)
            assert ack["ok"], ack
        # the alert raised on A, and its inbox notification stored on A, reach the doctor on B
        await inbox.wait(lambda i: i.of(events.ALERT_RAISED) and any(
            n["data"].get("change") == "raised" for n in i.of(events.NOTIFICATION_NEW)), within=10)
        alert_id = inbox.of(events.ALERT_RAISED)[0]["alert"]["id"]

        # both processes tick every second; the alert is due 2 s after it was raised
        def escalations() -> set[str]:
            return {n["id"] for n in inbox.of(events.NOTIFICATION_NEW) if n["data"].get("change") == "escalated"}
        await inbox.wait(lambda i: escalations(), within=15)
        await asyncio.sleep(3)  # several more ticks of both processes
        assert len(escalations()) == 1
        assert cluster["db"]["alerts"].find_one({"_id": alert_id})["escalation_level"] == 1
        seqs = [n["seq"] for n in inbox.of(events.NOTIFICATION_NEW)]
        assert seqs == sorted(set(seqs)), f"inbox items duplicated or out of order: {seqs}"
        # settled (3 s above): the doctor's socket on B is in `user:doc-1` and `patient:pat-1`, both of
        # the alert's audience, and yet got each live event once across processes
        assert [v["seq"] for v in inbox.of(events.VITALS_NEW)] == [1, 2, 3]
        assert [a["alert"]["id"] for a in inbox.of(events.ALERT_RAISED)] == [alert_id]
    finally:
        await device.disconnect()
        await doctor.disconnect()



async def test_a_revoke_on_one_process_ends_live_data_on_every_process(cluster):
    """The doctor watches on B; the patient revokes on A; after the revoke's answer, B's socket
    gets no reading (the device is on B, so B emits locally right after the answer)."""
    import aiohttp
    seed(cluster["db"], "pat-2", "doc-2")
    device_id, device_token = await provision(cluster["a"], mint_token(cluster["secret"], "adm", "admin"), "pat-2")
    doctor = socketio.AsyncClient(reconnection=False)
    seen = Inbox(doctor, events.VITALS_NEW, events.ALERT_RAISED, events.ALERT_UPDATED)
    await doctor.connect(cluster["b"], auth={"token": mint_token(cluster["secret"], "doc-2", "doctor")},
                         transports=["websocket"], wait_timeout=5)
    patient = socketio.AsyncClient(reconnection=False)
    own = Inbox(patient, events.VITALS_NEW)
    await patient.connect(cluster["a"], auth={"token": mint_token(cluster["secret"], "pat-2", "patient")},
                          transports=["websocket"], wait_timeout=5)
    device = socketio.AsyncClient(reconnection=False)
    await device.connect(cluster["b"], auth={"device_id": device_id, "token": device_token},
                         transports=["websocket"], namespaces=["/devices"], wait_timeout=5)
    try:
        for who in (doctor, patient):
            ack = await who.call(events.VITALS_WATCH, {"patient_id": "pat-2"}, timeout=10)
            assert ack["ok"], ack
        now = datetime.now(UTC).timestamp()

        async def send(seq: int, hr: int) -> None:
            ack = await device.call(events.VITALS_SEND, {"seq": seq, "ts": now + seq, "readings": {"heart_rate": hr}},
                                    namespace="/devices", timeout=10)
            assert ack["ok"] and ack["data"]["status"] == "accepted", ack
        await send(1, 80)
        await seen.wait(lambda i: [v["seq"] for v in i.of(events.VITALS_NEW)] == [1], within=10)

        async with aiohttp.ClientSession() as s, s.post(
                cluster["a"] + "/api/grants/g1/revoke",
                headers={"Authorization": f"Bearer {mint_token(cluster['secret'], 'pat-2', 'patient')}"}) as r:
            assert r.status == 200, await r.text()
        for seq in (2, 3):  # critical heart rates: an alert too (its audience no longer has the doctor)
            await send(seq, 150)
        # settled: the patient, watching on A, got them all
        await own.wait(lambda i: [v["seq"] for v in i.of(events.VITALS_NEW)] == [1, 2, 3], within=10)
        await asyncio.sleep(1.0)
        assert [v["seq"] for v in seen.of(events.VITALS_NEW)] == [1]
        assert seen.of(events.ALERT_RAISED) == seen.of(events.ALERT_UPDATED) == []
        # and watching again is refused
        ack = await doctor.call(events.VITALS_WATCH, {"patient_id": "pat-2"}, timeout=10)
        assert not ack["ok"] and ack["error"]["code"] == "no_grant", ack
    finally:
        for c in (device, patient, doctor):
            await c.disconnect()
