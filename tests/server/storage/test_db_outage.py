"""The embedded database killed (SIGKILL) under a device's feed: it is restarted on the same storage,
devices and users get 503 `retry_later` meanwhile (never a 500), the log says it once, /ready follows
it, and no acknowledged reading is lost. When it cannot come back, /health says so."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import socket
import time

from server.app import create_app
from server.keys import DB
from server.storage import embedded_db
from tests.conftest import Api
from tests.support.iot import device_sio, provision, stored_count

READINGS = 120


async def embedded_app(aiohttp_client, settings, clock, tmp_path):
    app = create_app(dataclasses.replace(settings, mongodb_uri=None, data_dir=tmp_path / "data"), clock)
    api = Api(await aiohttp_client(app))
    _, admin = await api.user("admin1", "admin")
    patient = await api.register_patient("outage_patient")
    device = await provision(api, admin, patient["id"])
    return app, api, device


def crash(app) -> None:
    """SIGKILL the database's child process (no checkpoint, no clean close)."""
    os.killpg(app[DB].embedded.proc.pid, signal.SIGKILL)


async def test_sigkill_mid_ingest_is_recovered_without_losing_acknowledged_readings(
        aiohttp_client, settings, clock, tmp_path, caplog, monkeypatch):
    # Restarted later than the driver's 3 s server selection, so requests do fail meanwhile (a faster
    # restart is simply waited out: the device sees a slow answer, not an error).
    monkeypatch.setattr(embedded_db, "RESTART_DELAYS_S", (4.0,))
    app, api, device = await embedded_app(aiohttp_client, settings, clock, tmp_path)
    headers = {"Authorization": f"Bearer {device['token']}"}
    acked: set[int] = set()
    retry_later, other = 0, []
    ready_seen: list[int] = []
    caplog.set_level(logging.INFO)
    first_pid = app[DB].embedded.proc.pid

    async def feed() -> None:
        """A device with a buffer: a reading is sent until it is acknowledged, in order."""
        nonlocal retry_later
        for seq in range(1, READINGS + 1):
            while True:
                resp = await api.client.post("/api/iot/data", headers=headers, json={
                    "seq": seq, "ts": time.time(), "readings": {"heart_rate": 70 + seq % 10}})
                body = await resp.json()
                if resp.status == 200:
                    acked.add(body["seq"])
                    break
                if resp.status == 503 and body["error"]["code"] == "retry_later" and resp.headers["Retry-After"]:
                    retry_later += 1
                    await asyncio.sleep(0.1)  # (the real device waits Retry-After; the test keeps it short)
                    continue
                other.append((resp.status, body))
                return
            if seq == 40:
                crash(app)

    async def probe() -> None:
        """/ready and a user's request while the feed runs."""
        while len(acked) < READINGS and not other:
            resp = await api.client.get("/ready")
            ready_seen.append(resp.status)
            await asyncio.sleep(0.05)

    await asyncio.wait_for(asyncio.gather(feed(), probe()), 120)
    assert other == [], other  # never a 500 (or anything but 200 / 503 retry_later)
    assert retry_later > 0  # the outage was seen by the device
    assert 503 in ready_seen and ready_seen[-1] == 200  # /ready followed it
    assert (await api.client.get("/health")).status == 200  # it recovered: the process is healthy
    assert app[DB].embedded.proc.pid != first_pid  # a new child, on the same storage
    assert acked == set(range(1, READINGS + 1))
    stored = await stored_count(app[DB], device_id=device["id"])
    assert stored == READINGS  # every acknowledged reading survived the SIGKILL, none twice

    records = [r for r in caplog.records if r.name.startswith(("server", "handlers"))]
    tracebacks = [r for r in records if r.exc_info]
    assert len(tracebacks) <= 1, [r.getMessage() for r in tracebacks]  # one per outage at most, not one per request
    said = [r.getMessage() for r in records]
    assert sum("SecantusDB exited" in m for m in said) == 1
    assert sum("SecantusDB was restarted" in m for m in said) == 1
    assert sum("the database is back" in m for m in said) == 1
    assert sum("unavailable" in m for m in said) <= 2  # the first failure; "still unavailable" once a minute


async def test_every_transport_says_retry_later_while_the_database_is_away(aiohttp_client, settings, clock,
                                                                           tmp_path, monkeypatch):
    monkeypatch.setattr(embedded_db, "RESTART_DELAYS_S", (6.0,))
    app, api, device = await embedded_app(aiohttp_client, settings, clock, tmp_path)
    token = (await api.login("outage_patient"))["access"]
    sio = await device_sio(api, device["id"], device["token"])
    ws = await api.client.ws_connect(f"/ws/iot/{device['id']}/?token={device['token']}")
    # One answered frame first: the connection is recorded before the crash (a device connecting while the
    # database is away is closed with 1013, try again later).
    await ws.send_json({"type": "vitals", "seq": 1000, "readings": {"spo2": 97}})
    assert (await ws.receive_json(timeout=20))["type"] != "error"
    try:
        crash(app)

        async def user() -> None:
            resp = await api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            body = await resp.json()
            assert resp.status == 503 and body["error"]["code"] == "retry_later", body
            assert int(resp.headers["Retry-After"]) > 0

        async def socketio_device() -> None:
            ack = await sio.call("vitals:send", {"seq": 1, "readings": {"spo2": 97}}, namespace="/devices",
                                 timeout=20)
            assert ack["ok"] is False and ack["error"]["code"] == "retry_later", ack
            assert ack["error"]["details"]["retry_after"] > 0

        async def raw_device() -> None:  # still connected afterwards
            await ws.send_json({"type": "vitals", "seq": 2, "readings": {"spo2": 97}})
            frame = await ws.receive_json(timeout=20)
            assert frame["type"] == "error" and frame["code"] == "retry_later" and frame["retry_after"] > 0, frame

        # At once: each waits ~3 s for the driver's server selection, the restart comes after 6 s.
        await asyncio.gather(user(), socketio_device(), raw_device())
    finally:
        await ws.close()
        await sio.disconnect()
    deadline = time.monotonic() + 60
    while (await api.client.get("/ready")).status != 200:  # back (the app's exit writes to it)
        assert time.monotonic() < deadline, "the database did not come back"
        await asyncio.sleep(0.1)
    deadline = time.monotonic() + 60
    while (await api.client.get("/ready")).status != 200:  # back (the app's exit writes to it)
        assert time.monotonic() < deadline, "the database did not come back"
        await asyncio.sleep(0.1)
    resp = await api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200


async def test_health_fails_when_the_database_cannot_be_restarted(aiohttp_client, settings, clock, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr(embedded_db, "RESTART_DELAYS_S", (0.2, 0.2))
    app, api, _ = await embedded_app(aiohttp_client, settings, clock, tmp_path)
    assert (await api.client.get("/health")).status == 200
    holder = app[DB].embedded
    with socket.socket() as squatter:  # its port taken: every restart fails
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        crash(app)
        await asyncio.to_thread(holder.proc.wait, 10)
        squatter.bind((holder.host, holder.port))
        squatter.listen()
        deadline = time.monotonic() + 60
        while (resp := await api.client.get("/health")).status == 200:
            assert time.monotonic() < deadline, "/health never reported the unrecoverable database"
            await asyncio.sleep(0.1)
        assert resp.status == 503
        assert "restarted" in (await resp.json())["reason"]
        assert (await api.client.get("/ready")).status == 503
    await asyncio.to_thread(holder.start)  # so the app's exit can leave its state (chat presence) behind


async def test_mqtt_readings_sent_while_the_database_is_away_are_stored_once_it_is_back(
        aiohttp_client, settings, clock, tmp_path, monkeypatch, broker, caplog):
    """MQTT has no retry_later: the bridge keeps the message unacknowledged (the broker would only
    redeliver it on a new session) and stores it once the database is back."""
    import orjson

    from server.keys import MQTT_BRIDGE
    from tests.support.mqtt import bridge_url, device_client, reloaded

    monkeypatch.setattr(embedded_db, "RESTART_DELAYS_S", (4.0,))
    settings = dataclasses.replace(settings, mqtt_url=bridge_url(broker))
    app, _, device = await embedded_app(aiohttp_client, settings, clock, tmp_path)
    await asyncio.wait_for(app[MQTT_BRIDGE].connected.wait(), 10)
    broker.add(device["id"], device["token"])
    await reloaded(broker, device["id"], device["token"])
    caplog.set_level(logging.INFO)
    async with device_client(broker, device["id"], device["token"]) as client:
        crash(app)
        await client.publish(f"fadjma/devices/{device['id']}/vitals",
                             orjson.dumps({"seq": 1, "readings": {"spo2": 96}}), qos=1)
        deadline = time.monotonic() + 60
        while True:  # stored once the database is back (the bridge retries it)
            try:
                if await stored_count(app[DB], device_id=device["id"], seq=1) == 1:
                    break
            except Exception:  # the test's own reads fail too while the database is away
                pass
            assert time.monotonic() < deadline, "the MQTT reading was never stored"
            await asyncio.sleep(0.2)
    assert await stored_count(app[DB], device_id=device["id"]) == 1
    assert not [r for r in caplog.records if "left unacknowledged" in r.getMessage()]  # retried, not failed
