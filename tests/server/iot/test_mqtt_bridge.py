"""MQTT end to end with a real Mosquitto (password file + %u ACL from mqtt/) and aiomqtt devices."""

from __future__ import annotations

import asyncio
import dataclasses

import aiomqtt
import orjson
import pytest

from server.app import create_app
from server.keys import DB, MQTT_BRIDGE
from tests.support.iot import people, provision, stored_count, watching_doctor
from tests.support.iot import stored as stored_readings
from tests.support.mqtt import bridge_url, device_client, reloaded


@pytest.fixture
def settings(settings, broker):
    return dataclasses.replace(settings, mqtt_url=bridge_url(broker))




async def test_mqtt_device_end_to_end(api, broker):
    app = api.client.app
    await asyncio.wait_for(app[MQTT_BRIDGE].connected.wait(), 10)
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"], device_id="ESP32_001")
    other = await provision(api, p["admin"], p["patient"]["id"], device_id="ESP32_002")
    broker.add(dev["id"], dev["token"])
    broker.add(other["id"], other["token"])
    await reloaded(broker, other["id"], other["token"])
    doctor, inbox = await watching_doctor(api, p)
    # a command queued while the device has never been heard from
    status, queued = await api.call("POST", f"/api/iot/devices/{dev['id']}/commands", p["admin"],
                                    json={"command": "set_interval", "params": {"interval_s": 10}})
    assert status == 201 and queued["status"] == "queued"
    async with device_client(broker, dev["id"], dev["token"]) as client:
        await client.subscribe(f"fadjma/devices/{dev['id']}/commands", qos=1)
        await client.publish(f"fadjma/devices/{dev['id']}/vitals", orjson.dumps(
            {"seq": 1, "readings": {"heart_rate": 88, "spo2": 96}}), qos=1)
        await client.publish(f"fadjma/devices/{dev['id']}/vitals", orjson.dumps(   # the earlier flat body
            {"device_id": dev["id"], "temperature": 37.4, "heart_rate": 90, "battery_level": 64, "timestamp": 5000}),
            qos=1)
        await client.publish(f"fadjma/devices/{dev['id']}/heartbeat", orjson.dumps(
            {"device_id": dev["id"], "status": "online", "uptime": 321, "rssi": -61}), qos=1)
        await client.publish(f"fadjma/devices/{dev['id']}/alert", orjson.dumps(
            {"device_id": dev["id"], "alert_type": "sensor_detached", "message": "finger off", "priority": "high"}),
            qos=1)
        async with asyncio.timeout(5):
            message = await anext(aiter(client.messages))
        command = orjson.loads(message.payload)
        assert command == {"id": queued["id"], "command": "set_interval", "params": {"interval_s": 10}}
        await client.publish(f"fadjma/devices/{dev['id']}/ack", orjson.dumps(
            {"command_id": command["id"], "ok": True}), qos=1)
        await inbox.wait(lambda i: len(i.of("vitals:new")) == 2)
    readings = sorted((m["readings"] for m in inbox.of("vitals:new")), key=lambda r: r["heart_rate"]["value"])
    assert readings[0]["spo2"]["value"] == 96 and readings[1]["temperature"]["value"] == 37.4

    async def command_acked():
        while True:
            _, cmds = await api.call("GET", f"/api/iot/devices/{dev['id']}/commands", p["admin"])
            if cmds[0]["status"] == "acked":
                return cmds[0]
            await asyncio.sleep(0.05)
    cmd = await asyncio.wait_for(command_acked(), 5)
    assert cmd["via"] == "mqtt"
    _, device = await api.call("GET", f"/api/iot/devices/{dev['id']}", p["admin"])
    assert (device["interval_s"], device["battery"], device["uptime"], device["signal_quality"]) == (10, 64, 321, -61)
    alert = await app[DB]["device_alerts"].find_one({"device_id": dev["id"]})
    assert (alert["code"], alert["severity"]) == ("sensor_detached", "critical")

    # ESP32_001 publishing as ESP32_002: the broker's ACL refuses it and drops the connection
    with pytest.raises(aiomqtt.MqttError):
        async with device_client(broker, dev["id"], dev["token"]) as client:
            await client.publish(f"fadjma/devices/{other['id']}/vitals", orjson.dumps(
                {"seq": 99, "readings": {"heart_rate": 150}}), qos=1)
            await client.publish(f"fadjma/devices/{dev['id']}/vitals", orjson.dumps(
                {"seq": 100, "readings": {"heart_rate": 50}}), qos=1)
            await asyncio.sleep(1)
    # a wrong password is refused at connect
    with pytest.raises(aiomqtt.MqttError):
        async with device_client(broker, other["id"], dev["token"]):
            pass
    # the rightful device still gets through afterwards, and nothing was stored for ESP32_002
    async with device_client(broker, other["id"], other["token"]) as client:
        await client.publish(f"fadjma/devices/{other['id']}/vitals", orjson.dumps(
            {"seq": 1, "readings": {"heart_rate": 61}}), qos=1)
    await inbox.wait(lambda i: any(m["device_id"] == other["id"] for m in i.of("vitals:new")))
    stored = await stored_readings(app[DB], device_id=other["id"])
    assert [d["seq"] for d in stored] == [1]
    await doctor.disconnect()


async def test_readings_sent_while_the_server_is_down_are_stored_when_it_returns(aiohttp_client, settings, clock,
                                                                                 api, broker):
    await api.client.app[MQTT_BRIDGE].stop()  # `api`'s server only provisions; the bridge under test is below
    settings = dataclasses.replace(settings, mqtt_client_id=f"fadjma-test-{broker.port}")  # a stable session id
    first = await aiohttp_client(create_app(settings, clock))
    await asyncio.wait_for(first.app[MQTT_BRIDGE].connected.wait(), 10)
    p = await people(api)
    dev = await provision(api, p["admin"], p["patient"]["id"], device_id="ESP32_009")
    broker.add(dev["id"], dev["token"])
    await reloaded(broker, dev["id"], dev["token"])
    await first.close()  # the server stops (a restart, a deploy)
    async with device_client(broker, dev["id"], dev["token"]) as client:
        for seq in (1, 2, 3):
            await client.publish(f"fadjma/devices/{dev['id']}/vitals", orjson.dumps(
                {"seq": seq, "readings": {"heart_rate": 80 + seq}}), qos=1)
    second = await aiohttp_client(create_app(settings, clock))  # the same session id: the broker kept them
    db = second.app[DB]
    async with asyncio.timeout(10):
        while await stored_count(db, device_id=dev["id"]) < 3:  # noqa: ASYNC110 - polling the DB
            await asyncio.sleep(0.05)
    docs = await stored_readings(db, device_id=dev["id"])
    assert sorted(d["seq"] for d in docs) == [1, 2, 3]
