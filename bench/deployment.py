"""The real system for a benchmark: SecantusDB, one or more `python -m server`, optionally Redis.

SecantusDB is started here as its own process (as the server would start it, with
`--sync-on-commit`), so several server processes can share it and the benchmark can seed
people straight into it: patients, doctors and grants are inserted directly (no argon2
hashing of thousands of passwords); devices are provisioned through the REST API with an
admin token, as an operator would, and get their real device secrets. With `mqtt=True` a
Mosquitto broker (mqtt/'s config) runs too, the server bridges to it (MQTT_URL) and
`mqtt_logins` gives devices their broker logins (username = device id, password = token).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from datetime import UTC, datetime, timedelta

import aiohttp
from pymongo import MongoClient

from bench.common import mint_token
from bench.procs import Proc, Workdir, fadjma_server, mosquitto_server, mqtt_login, redis_server
from server.storage.embedded_db import EmbeddedDB

DB_NAME = "bench"


class Deployment:
    def __init__(self, wd: Workdir, *, processes: int = 1, redis: bool = False, mqtt: bool = False,
                 env: dict | None = None) -> None:
        self.wd = wd
        self.embedded = EmbeddedDB(wd.path / "db")
        self.uri = self.embedded.start()
        self.redis: Proc | None = redis_server(wd).start() if redis else None
        base = {"MONGODB_URI": self.uri, "MONGODB_DB": DB_NAME, **(env or {})}
        if self.redis:
            base["REDIS_URL"] = f"redis://127.0.0.1:{self.redis.port}/0"
        self.mqtt: Proc | None = None
        if mqtt:
            self.mqtt = mosquitto_server(wd)
            password = secrets.token_urlsafe(24)
            mqtt_login(self.mqtt.passwd, "fadjma-server", password)
            self.mqtt.start()
            base["MQTT_URL"] = f"mqtt://fadjma-server:{password}@127.0.0.1:{self.mqtt.port}"
            if processes > 1:  # each message to one process, as a deployment would run them
                base.setdefault("MQTT_SHARED_GROUP", "fadjma-bench")
        self.servers = [fadjma_server(wd, f"server-{i}", env=base).start() for i in range(processes)]
        self.client = MongoClient(self.uri, tz_aware=True)
        self.db = self.client[DB_NAME]
        self.admin = mint_token(wd.secret, "bench-admin", "admin", ttl=7200)

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    def watch(self) -> dict[str, int]:
        """The pids whose CPU and memory are 'the server': every server process and the database."""
        pids = {s.name: s.pid for s in self.servers}
        pids["db"] = self.embedded.proc.pid
        if self.redis:
            pids["redis"] = self.redis.pid
        if self.mqtt:
            pids["broker"] = self.mqtt.pid
        return pids

    def token(self, user_id: str, role: str) -> str:
        return mint_token(self.wd.secret, user_id, role, ttl=7200)

    # -- seeding ----------------------------------------------------------------------------
    def users(self, prefix: str, role: str, n: int) -> list[str]:
        now = datetime.now(UTC)
        ids = [f"{prefix}-{i}" for i in range(n)]
        profile = {"birth_date": "1970-01-01", "gender": "other"} if role == "patient" else {}
        docs = [{"_id": uid, "username": uid, "username_lower": uid, "password_hash": "!", "role": role,
                 "email": None, "first_name": "", "last_name": "", "profile": profile, "is_active": True,
                 "created_at": now} for uid in ids]
        for i in range(0, n, 5000):
            self.db["users"].insert_many(docs[i:i + 5000], ordered=False)
        return ids

    def grant(self, doctor_ids: list[str], patient_id: str, scopes=("vitals",)) -> None:
        now = datetime.now(UTC)
        docs = [{"_id": f"g-{d}-{patient_id}", "patient_id": patient_id, "doctor_id": d, "scopes": list(scopes),
                 "expires_at": now + timedelta(days=1), "revoked_at": None, "created_at": now} for d in doctor_ids]
        for i in range(0, len(docs), 5000):
            self.db["grants"].insert_many(docs[i:i + 5000], ordered=False)

    def provision(self, patient_ids: list[str], interval_s: int = 5) -> list[tuple[str, str]]:
        """One device per patient through POST /api/iot/devices; returns [(device_id, token)]."""
        return asyncio.run(self._provision(patient_ids, interval_s))

    async def _provision(self, patient_ids: list[str], interval_s: int) -> list[tuple[str, str]]:
        sem = asyncio.Semaphore(32)
        headers = {"Authorization": f"Bearer {self.admin}"}

        async def one(session: aiohttp.ClientSession, i: int, pid: str) -> tuple[str, str]:
            body = {"name": f"bench {i}", "type": "multi_sensor", "patient_id": pid, "interval_s": interval_s,
                    "mac": f"02:00:{i >> 24 & 255:02X}:{i >> 16 & 255:02X}:{i >> 8 & 255:02X}:{i & 255:02X}"}
            async with sem, session.post(self.urls[0] + "/api/iot/devices", json=body, headers=headers) as resp:
                doc = await resp.json()
                if resp.status != 201:
                    raise RuntimeError(f"provisioning failed: {resp.status} {doc}")
                return doc["id"], doc["token"]

        async with aiohttp.ClientSession() as session:
            return list(await asyncio.gather(*(one(session, i, p) for i, p in enumerate(patient_ids))))

    def mqtt_logins(self, devices: list[tuple[str, str]]) -> None:
        """Broker logins for [(device_id, token)], then one reload (mosquitto applies it asynchronously:
        a device's first connection may still be refused)."""
        for device_id, token in devices:
            mqtt_login(self.mqtt.passwd, device_id, token)
        os.kill(self.mqtt.pid, signal.SIGHUP)

    def close(self) -> None:
        self.client.close()
        for s in self.servers:
            s.stop()
        self.embedded.stop()
        for p in (self.mqtt, self.redis):
            if p:
                p.stop()
