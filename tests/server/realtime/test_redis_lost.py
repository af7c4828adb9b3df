"""Redis lost and back with two processes: what live delivery missed meanwhile is replayed from the
inbox, and live delivery across processes works again afterwards (a restarted Redis forgot the room
directory: the processes advertise their rooms again).

A doctor's socket on B; a device on A raises alerts whose inbox notifications go to the doctor. Redis is
killed (SIGKILL), an alert is raised on A, Redis comes back on the same port (empty): the doctor gets the
missed notification exactly once (B closed its transports, the client reconnected with `last_seq`), and
the episode's next severity rise reaches the doctor live, exactly once too.
"""

from __future__ import annotations

import asyncio
import signal

import aiohttp
import pytest
import socketio

from server.realtime import events
from tests.server.realtime.test_scaleout import provision, seed
from tests.support.helpers import until
from tests.support.processes import Proc, free_port, mint_token, two_servers


def redis_proc(tmp_path, port: int) -> Proc:
    return Proc("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", str(tmp_path)], port=port, workdir=tmp_path, health=None)


async def reading(url: str, token: str, seq: int, readings: dict) -> None:
    async with aiohttp.ClientSession() as s, s.post(url + "/api/iot/data", json={"seq": seq, "readings": readings},
                                                    headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200, await r.text()


@pytest.mark.parametrize("manager", ["rooms", "broadcast"])
async def test_redis_lost_and_back_replays_what_live_delivery_missed(mongo_uri, db_name, tmp_path,
                                                                     symptoms_model_dir, manager):
    port = free_port()
    redis = redis_proc(tmp_path, port)
    await asyncio.to_thread(redis.start)
    doctor = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
    try:
        with two_servers(tmp_path, mongo_uri, db_name, port, symptoms_model_dir, REDIS_MANAGER=manager,
                         ALERT_TICK_S="1") as cluster:
            seed(cluster["db"], "pat-1", "doc-1")
            cluster["db"]["alert_configs"].update_one({"_id": "pat-1"},
                                                      {"$set": {"overrides.spo2_low": {"duration_s": 0}}})
            _, device_token = await provision(cluster["a"], mint_token(cluster["secret"], "adm", "admin"),
                                                      "pat-1")
            seen: list[dict] = []
            connects = 0

            def on_new(item: dict) -> None:
                seen.append(item)

            def on_connect() -> None:
                nonlocal connects
                connects += 1

            doctor.on(events.NOTIFICATION_NEW, on_new)
            doctor.on("connect", on_connect)
            token = mint_token(cluster["secret"], "doc-1", "doctor")
            # As the web app does: reconnect with the last seq seen, so the server replays what followed.
            await doctor.connect(cluster["b"], auth=lambda: {"token": token,
                                                             "last_seq": max((i["seq"] for i in seen), default=0)},
                                 transports=["websocket"], wait_timeout=10)

            redis.proc.send_signal(signal.SIGKILL)
            redis.proc.wait(10)
            # On A, Redis away: a critical high heart rate opens the clinical episode; stored, then its live
            # emit to B cannot cross.
            await reading(cluster["a"], device_token, 1, {"heart_rate": 135})
            await reading(cluster["a"], device_token, 2, {"heart_rate": 136})
            notes = cluster["db"]["notifications"]
            await until(lambda: notes.count_documents({"user_id": "doc-1"}) == 1, within=30)
            await asyncio.sleep(1.0)  # (would it arrive live? it must not be able to: Redis is down)
            assert seen == []

            redis = redis_proc(tmp_path, port)  # back, on the same port, empty
            await asyncio.to_thread(redis.start)
            # B asked its sockets to reconnect; the replay (sent before the client's connect event) brought it.
            await until(lambda: len(seen) == 1 and connects == 2, within=30)

            # Live again, across processes: the heart rate worsens to emergency on A (a known cause worsening
            # is an inbox item: server/alerting/episodes.py) and reaches the doctor on B.
            await reading(cluster["a"], device_token, 3, {"heart_rate": 160})
            await reading(cluster["a"], device_token, 4, {"heart_rate": 162})
            await until(lambda: len(seen) == 2, within=30)
            await asyncio.sleep(1.0)  # settle: a duplicate would show now
            assert [i["seq"] for i in seen] == [1, 2]
            assert connects == 2  # the second one came live
    finally:
        if doctor.connected:
            await doctor.disconnect()
        redis.stop()


