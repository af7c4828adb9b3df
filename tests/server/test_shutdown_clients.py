"""SIGTERM ends the server within a bound whatever its clients do, one kind of client at a time: a
browser socket, a long-polling one, a Socket.IO device, a raw WebSocket device, the MQTT bridge, an HTTP
request whose body never comes, and an Engine.IO session that posted 2 MB (answered 413). Clients are
told (their connection closes, so they reconnect elsewhere), and every acknowledged reading is in the
embedded database afterwards (it is stopped last, after the pending writes)."""

from __future__ import annotations

import asyncio
import secrets
import signal
import sys
import time

import aiohttp
import orjson
import pytest
import socketio
from pymongo import MongoClient

from server.storage.embedded_db import EmbeddedDB
from tests.support.processes import Proc, free_port, mint_token

# The bug: 47-65 s, or never. Now ~4.5 s (the database checkpoint, the interpreter exit), plus SHUTDOWN_GRACE_S
# (3 s) for a request whose body never comes; loaded CI machines are slower.
BOUND_S = 12
BOUND_ALL_S = 20  # all of them at once on a loaded machine: 12.9 s seen once while other suites ran


class Server:
    def __init__(self, tmp_path, symptoms_model_dir, **env: str) -> None:
        self.secret, self.tmp = secrets.token_urlsafe(48), tmp_path
        port = free_port()
        self.proc = Proc("server", [sys.executable, "-m", "server"], port=port, workdir=tmp_path, env={
            "JWT_SECRET": self.secret, "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "WARNING", "CORS_ORIGINS": "*", "SYMPTOMS_MODEL_DIR": str(symptoms_model_dir), **env})
        self.url = self.proc.url
        self.acked: set[int] = set()

    async def setup(self, http: aiohttp.ClientSession) -> None:
        await asyncio.to_thread(self.proc.start)
        admin = {"Authorization": f"Bearer {mint_token(self.secret, 'admin-1', 'admin')}"}
        async with http.post(self.url + "/api/register/", json={
                "username": "shut_patient", "password": "correct-horse-battery", "birth_date": "1980-05-01",
                "gender": "female"}) as resp:
            self.patient = (await resp.json())["id"]
        async with http.post(self.url + "/api/iot/devices", headers=admin, json={
                "name": "bedside", "type": "multi_sensor", "mac": "AA:BB:CC:DD:00:01",
                "patient_id": self.patient}) as resp:
            self.device = await resp.json()
        assert resp.status == 201, self.device

    def reading(self, seq: int, hr: int = 70) -> dict:
        return {"seq": seq, "ts": time.time(), "readings": {"heart_rate": hr}}

    async def sigterm(self) -> float:
        started = time.monotonic()
        self.proc.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(self.proc.proc.wait, 120)
        took = time.monotonic() - started
        assert code == 0, self.proc.tail()
        return took

    def stored_seqs(self) -> set[int]:
        db = EmbeddedDB(self.tmp / "data" / "db")
        try:
            with MongoClient(db.start()) as client:
                data = client["fadjma"]  # rows and packed readings (server.iot.vitals_store)
                rows = [d["seq"] for d in data["vitals"].find({"device_id": self.device["id"]})]
                packed = [r["seq"] for p in data["vitals_packs"].find({}) for r in p["r"]
                          if r["device_id"] == self.device["id"]]
                assert len(rows) + len(packed) == len(set(rows + packed)), "a reading stored twice"
                return set(rows + packed)
        finally:
            db.stop()


async def browser(server: Server, http: aiohttp.ClientSession, transport: str = "websocket"):
    client = socketio.AsyncClient(reconnection=False)
    gone = asyncio.Event()
    client.on("disconnect", lambda *args: gone.set())
    await client.connect(server.url, auth={"token": mint_token(server.secret, server.patient, "patient")},
                         transports=[transport], wait_timeout=10)
    await asyncio.sleep(0.3)  # (polling) a long-poll GET is now waiting on the server

    async def after() -> None:
        await asyncio.wait_for(gone.wait(), 30)
    return after


async def polling(server: Server, http: aiohttp.ClientSession):
    return await browser(server, http, "polling")


async def sio_device(server: Server, http: aiohttp.ClientSession):
    client = socketio.AsyncClient(reconnection=False)
    gone = asyncio.Event()
    client.on("disconnect", lambda *args: gone.set(), namespace="/devices")
    await client.connect(server.url, auth={"device_id": server.device["id"], "token": server.device["token"]},
                         transports=["websocket"], namespaces=["/devices"], wait_timeout=10)
    ack = await client.call("vitals:send", server.reading(1), namespace="/devices", timeout=10)
    assert ack["ok"] and ack["data"]["status"] == "accepted", ack
    server.acked.add(1)

    async def after() -> None:
        await asyncio.wait_for(gone.wait(), 30)
    return after


async def raw_ws(server: Server, http: aiohttp.ClientSession):
    ws = await http.ws_connect(f"{server.url}/ws/iot/{server.device['id']}/?token={server.device['token']}")
    await ws.send_json({"type": "vitals", **server.reading(2)})
    ack = await ws.receive_json(timeout=10)
    assert ack["type"] == "ack" and ack["status"] == "accepted", ack
    server.acked.add(2)

    closing = asyncio.create_task(ws.receive(timeout=60))  # a device reads all the time

    async def after() -> None:
        msg = await closing  # the server closed it, with a reason to reconnect elsewhere
        assert msg.type == aiohttp.WSMsgType.CLOSE, msg
        assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY, ws.close_code
    return after


async def open_http_request(server: Server, http: aiohttp.ClientSession):
    """Headers sent, the body promised and never sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.proc.port)
    writer.write(b"POST /api/iot/data HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + server.device["token"].encode() + b"\r\nContent-Length: 500\r\n\r\n{")
    await writer.drain()

    async def after() -> None:
        await asyncio.wait_for(reader.read(), 30)  # closed by the server (whatever it answered)
        writer.close()
    return after


async def oversized_poll(server: Server, http: aiohttp.ClientSession):
    """An unauthenticated Engine.IO session posting 2 MB: answered 413, and it does not block SIGTERM."""
    async with http.get(server.url + "/socket.io/?EIO=4&transport=polling") as resp:
        sid = orjson.loads((await resp.text())[1:])["sid"]
    async with asyncio.timeout(30):
        async with http.post(f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}",
                             data=b"4" + b"x" * 2_000_000) as resp:
            assert resp.status == 413, resp.status

    async def after() -> None:
        pass
    return after


KINDS = {"browser": browser, "polling": polling, "sio_device": sio_device, "raw_ws": raw_ws,
         "open_http_request": open_http_request, "oversized_poll": oversized_poll}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_sigterm_is_bounded_with_a_client_connected(kind, tmp_path, symptoms_model_dir):
    server = Server(tmp_path, symptoms_model_dir)
    async with aiohttp.ClientSession() as http:
        try:
            await server.setup(http)
            after = await KINDS[kind](server, http)
            took = await server.sigterm()
            print(f"SIGTERM with a {kind} client: {took:.1f} s")
            assert took < BOUND_S, f"shutdown took {took:.1f} s with a {kind} client"
            await after()
        finally:
            server.proc.stop()
    assert server.acked <= server.stored_seqs()


async def test_sigterm_is_bounded_with_every_kind_at_once_and_the_mqtt_bridge(tmp_path, symptoms_model_dir, broker):
    from tests.support.mqtt import bridge_url, device_client, reloaded

    server = Server(tmp_path, symptoms_model_dir, MQTT_URL=bridge_url(broker))
    async with aiohttp.ClientSession() as http:
        try:
            await server.setup(http)
            afters = [await connect(server, http) for connect in KINDS.values()]
            broker.add(server.device["id"], server.device["token"])
            await reloaded(broker, server.device["id"], server.device["token"])
            async with device_client(broker, server.device["id"], server.device["token"]) as mqtt:
                await mqtt.publish(f"fadjma/devices/{server.device['id']}/vitals",
                                   orjson.dumps(server.reading(3, hr=123)), qos=1)
            patient = {"Authorization": f"Bearer {mint_token(server.secret, server.patient, 'patient')}"}
            async with asyncio.timeout(30):
                while True:  # stored (the bridge acknowledges to the broker only then)
                    async with http.get(f"{server.url}/api/iot/patients/{server.patient}/vitals/latest",
                                        headers=patient) as resp:
                        if (await resp.json())["readings"].get("heart_rate", {}).get("value") == 123:
                            break
                    await asyncio.sleep(0.1)
            server.acked.add(3)
            took = await server.sigterm()
            print(f"SIGTERM with every kind of client and the MQTT bridge: {took:.1f} s")
            assert took < BOUND_ALL_S, f"shutdown took {took:.1f} s"
            for after in afters:
                await after()
        finally:
            server.proc.stop()
    assert server.stored_seqs() == {1, 2, 3} == server.acked
