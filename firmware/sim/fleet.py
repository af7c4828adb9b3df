"""Provisioning through the admin API, and running a fleet of virtual devices for a bounded time."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from firmware.sim.device import RateLimit, Stats, VirtualDevice
from firmware.sim.links import TRANSPORTS, HttpLink, Link, SocketIOLink, WebSocketLink
from firmware.sim.links_relayed import LoraLink, MqttLink
from firmware.sim.vitals import Patient, Scenario

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]


class ApiError(RuntimeError):
    pass


class Admin:
    """The admin REST calls the simulator needs (it never touches the database)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.token: str | None = None

    async def close(self) -> None:
        await self.session.close()

    async def call(self, method: str, path: str, body: dict | None = None,
                   token: str | None = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token or self.token}"} if (token or self.token) else {}
        async with self.session.request(method, self.base_url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def login(self, username: str, password: str) -> None:
        status, body = await self.call("POST", "/api/token/", {"username": username, "password": password})
        if status != 200:
            raise ApiError(f"admin login failed: {status} {body}")
        self.token = body["access"]

    async def patient_ids(self) -> dict[str, str]:
        status, body = await self.call("GET", "/api/users/?role=patient")
        if status != 200:
            raise ApiError(f"listing patients failed: {status} {body}")
        return {u["username"]: u["id"] for u in body}

    async def register_patient(self, username: str, password: str) -> str:
        status, body = await self.call("POST", "/api/register/", {
            "username": username, "password": password, "birth_date": "1970-01-01", "gender": "other"})
        if status == 201:
            return body["id"]
        if status == 409:
            return (await self.patient_ids())[username]
        raise ApiError(f"registering {username} failed: {status} {body}")

    async def device(self, device_id: str, patient_id: str, interval_s: int, dev_eui: str) -> str:
        """Create the device (or take it over: new token, this patient); returns its token."""
        mac = "02:" + ":".join(hashlib.sha256(device_id.encode()).hexdigest()[i:i + 2].upper() for i in range(0, 10, 2))
        status, body = await self.call("POST", "/api/iot/devices", {
            "device_id": device_id, "name": f"Simulated bedside {device_id}", "type": "multi_sensor", "mac": mac,
            "patient_id": patient_id, "interval_s": interval_s, "dev_eui": dev_eui, "firmware_version": "sim-1.0.0"})
        if status == 201:
            return body["token"]
        if status != 409:
            raise ApiError(f"provisioning {device_id} failed: {status} {body}")
        status, body = await self.call("PATCH", f"/api/iot/devices/{device_id}",
                                       {"patient_id": patient_id, "status": "active"})
        if status != 200:
            raise ApiError(f"updating {device_id} failed: {status} {body}")
        status, body = await self.call("POST", f"/api/iot/devices/{device_id}/rotate")
        if status != 200:
            raise ApiError(f"rotating {device_id}'s token failed: {status} {body}")
        return body["token"]


def dev_eui_of(device_id: str) -> str:
    return "70B3D5" + hashlib.sha256(device_id.encode()).hexdigest()[:10].upper()


def mqtt_login(passwd_file: str, device_id: str, token: str, broker_pid: int | None = None) -> None:
    """Add the device's MQTT login with mqtt/add-device.sh (the broker must reload it)."""
    env = {"MOSQUITTO_PID": str(broker_pid)} if broker_pid else {}
    subprocess.run([str(ROOT / "mqtt" / "add-device.sh"), device_id, token, passwd_file], check=True,
                   capture_output=True, env={**os.environ, **env})


@dataclass
class Spec:
    """One virtual device to run."""

    device_id: str
    patient_id: str
    transport: str = "socketio"
    scenario: str = "normal"
    interval_s: float = 5.0
    http_fallback: bool = True
    seed: int | None = None
    onset_s: float = 600.0


def make_link(spec: Spec, base_url: str, token: str, *, mqtt_broker: str = "127.0.0.1:1883",
              lorawan_secret: str = "") -> Link:
    if spec.transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {spec.transport!r}; one of {', '.join(TRANSPORTS)}")
    if spec.transport == "socketio":
        return SocketIOLink(base_url, spec.device_id, token)
    if spec.transport == "websocket":
        return WebSocketLink(base_url, spec.device_id, token)
    if spec.transport == "http":
        return HttpLink(base_url, spec.device_id, token)
    if spec.transport == "mqtt":
        return MqttLink(base_url, spec.device_id, token, mqtt_broker)
    form = spec.transport.split("-", 1)[1]
    return LoraLink(base_url, spec.device_id, token, dev_eui_of(spec.device_id), lorawan_secret, form)


def make_device(spec: Spec, base_url: str, token: str, rate: RateLimit | None = None, speed: float = 1.0,
                **link_options) -> VirtualDevice:
    link = make_link(spec, base_url, token, **link_options)
    fallback = HttpLink(base_url, spec.device_id, token) if spec.http_fallback and spec.transport in (
        "socketio", "websocket") else None
    patient = Patient(Scenario(spec.scenario, onset_s=spec.onset_s), seed=spec.seed,
                      kinds=("heart_rate", "spo2", "temperature", "respiratory_rate", "systolic", "diastolic")
                      + (("glucose",) if spec.scenario == "hypoglycaemia" else ()))
    return VirtualDevice(spec.device_id, link, patient, interval_s=spec.interval_s, http_fallback=fallback,
                         rate=rate, speed=speed, seed=spec.seed)


async def run_fleet(devices: list[VirtualDevice], duration_s: float) -> list[Stats]:
    return list(await asyncio.gather(*(d.run(duration_s) for d in devices)))
