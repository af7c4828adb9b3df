"""Fixtures: settings → app → client, against a real SecantusDB over the wire.

One SecantusDB child process serves the whole session (it starts in ~0.5 s, but once is
enough); every test gets its own database name so tests never see each other's data.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import pytest
import socketio
from pymongo import MongoClient

from server.app import create_app
from server.clock import Clock, FakeClock
from server.settings import Settings
from server.storage.embedded_db import EmbeddedDB
from tests.support.alerting import START, alerting_settings

DEMO_PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory) -> str:
    # No TTL sweeps: the ward's FakeClock starts on 2026-03-01, so every reading a test stores is
    # already past retention for the database's wall clock, and a sweep between a test's write and
    # its read deleted it (a replayed-buffer test once lost 10 of 13 readings that way).
    db = EmbeddedDB(tmp_path_factory.mktemp("secantus") / "db", ttl_sweep_s=0)
    uri = db.start()
    yield uri
    db.stop()


@pytest.fixture(scope="session")
def symptoms_model_dir(tmp_path_factory) -> Path:
    """One small symptom model for the session, so no app trains the full one (13 s) at start."""
    from tests.server.symptoms.support import train_small
    return train_small(tmp_path_factory.mktemp("symptoms-model"))


@pytest.fixture
def db_name(mongo_uri) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with MongoClient(mongo_uri) as client:
        client.drop_database(name)


@pytest.fixture
def clock(request) -> Clock:
    """The real clock; in a module marked `ward` (the alerting tests) a FakeClock at tests.support.alerting.START."""
    return FakeClock(START) if request.node.get_closest_marker("ward") else Clock()


@pytest.fixture
def settings(request, mongo_uri, db_name, tmp_path, symptoms_model_dir) -> Settings:
    base = Settings(host="127.0.0.1", port=0, mongodb_uri=mongo_uri, mongodb_db=db_name,
                    data_dir=tmp_path / "data", jwt_secret=secrets.token_urlsafe(48),
                    cors_origins=("http://localhost:5173",), symptoms_model_dir=symptoms_model_dir)
    return alerting_settings(base) if request.node.get_closest_marker("ward") else base


@pytest.fixture
def app(settings, clock):
    return create_app(settings, clock)


@pytest.fixture
async def client(aiohttp_client, app):
    return await aiohttp_client(app)


class Api:
    """A thin helper over the test client: log in, call with a token, create users."""

    def __init__(self, client) -> None:
        self.client = client
        self.base_url = str(client.make_url("/")).rstrip("/")

    async def call(self, method: str, path: str, token: str | None = None, json=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        resp = await self.client.request(method, path, json=json, headers=headers, **kw)
        body = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, body

    async def login(self, username: str, password: str = DEMO_PASSWORD) -> dict:
        status, body = await self.call("POST", "/api/token/", json={"username": username, "password": password})
        assert status == 200, body
        return body

    async def register_patient(self, username: str, **extra) -> dict:
        data = {"username": username, "password": DEMO_PASSWORD, "birth_date": "1980-05-01",
                "gender": "female", **extra}
        status, body = await self.call("POST", "/api/register/", json=data)
        assert status == 201, body
        return body

    async def create_staff(self, username: str, role: str, **extra) -> dict:
        from server.keys import USERS
        users = self.client.app[USERS]
        profile = {"speciality": extra.pop("speciality", "cardiology")} if role == "doctor" else {}
        doc = await users.create(username=username, password=DEMO_PASSWORD, role=role, profile=profile, **extra)
        return {"id": doc["_id"], "username": username, "role": role}

    async def user(self, username: str, role: str) -> tuple[dict, str]:
        """Create a user of `role` and return (user, access token)."""
        user = await (self.register_patient(username) if role == "patient" else self.create_staff(username, role))
        return user, (await self.login(username))["access"]

    async def sio(self, token: str | None, **auth_extra) -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=False)
        auth = {"token": token, **auth_extra} if token is not None else {}
        await sio.connect(self.base_url, auth=auth, transports=["websocket"], wait_timeout=5)
        return sio


@pytest.fixture
async def api(client) -> Api:
    return Api(client)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def broker():
    """A Mosquitto of its own on a free loopback port, with the bridge's login (tests/support/mqtt.py)."""
    from tests.support.mqtt import Broker

    b = Broker()
    b.start()
    yield b
    b.stop()
