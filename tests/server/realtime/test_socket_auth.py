"""The Socket.IO handshake with a real socketio.AsyncClient against the running server."""

from __future__ import annotations

import asyncio
import dataclasses

import jwt
import pytest

from rooms import role_room, user_room
from server.app import create_app
from server.keys import SIO
from tests.support.helpers import connect_error_of


async def test_refused_with_a_reason_code(api, settings):
    _, token = await api.user("pat", "patient")
    claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"])
    expired = jwt.encode({**claims, "exp": claims["iat"] - 10}, settings.jwt_secret, algorithm="HS256")
    forged = jwt.encode(claims, "another-secret-that-is-long-enough-to-use!", algorithm="HS256")
    cases = {"token_missing": {}, "token_invalid": {"token": forged}, "token_expired": {"token": expired}}
    for code, auth in cases.items():
        err = await connect_error_of(api, auth)
        assert err["message"] == code, (code, err)
        assert err["data"]["code"] == code


async def test_connected_socket_joins_its_user_and_role_rooms(api, app):
    user, token = await api.user("pat", "patient")
    _, other_token = await api.user("doc", "doctor")
    got: dict[str, list] = {"pat": [], "doc": []}
    pat = await api.sio(token)
    doc = await api.sio(other_token)
    pat.on("test:ping", lambda data: got["pat"].append(data))
    doc.on("test:ping", lambda data: got["doc"].append(data))
    sio = app[SIO]
    await sio.emit("test:ping", {"to": "user"}, room=user_room(user["id"]))
    await sio.emit("test:ping", {"to": "patients"}, room=role_room("patient"))
    await sio.emit("test:ping", {"to": "doctors"}, room=role_room("doctor"))
    await asyncio.sleep(0.3)
    assert got["pat"] == [{"to": "user"}, {"to": "patients"}]
    assert got["doc"] == [{"to": "doctors"}]
    await pat.disconnect()
    await doc.disconnect()


async def test_events_answer_with_the_envelope(api):
    _, token = await api.user("pat", "patient")
    client = await api.sio(token)
    bad = await client.call("auth:refresh", {"token": 42}, timeout=5)
    assert bad["ok"] is False and bad["error"]["code"] == "invalid"
    assert bad["error"]["details"][0]["field"] == "token"
    good = await client.call("auth:refresh", {"token": (await api.login("pat"))["access"]}, timeout=5)
    assert good["ok"] is True and good["data"]["exp"] > 0
    await client.disconnect()


async def test_refresh_with_another_users_token_is_refused(api):
    _, token = await api.user("pat", "patient")
    _, other = await api.user("pat2", "patient")
    client = await api.sio(token)
    ack = await client.call("auth:refresh", {"token": other}, timeout=5)
    assert ack == {"ok": False, "error": {"code": "token_invalid", "message": ack["error"]["message"],
                                          "details": None}}
    await client.disconnect()


@pytest.fixture
def short_settings(settings):
    return dataclasses.replace(settings, access_token_ttl=3, socket_auth_grace=1.0)


@pytest.fixture
async def short_api(aiohttp_client, short_settings, clock):
    from tests.conftest import Api
    return Api(await aiohttp_client(create_app(short_settings, clock)))


async def test_expired_socket_is_dropped_after_grace_unless_refreshed(short_api):
    await short_api.user("pat", "patient")
    stale = await short_api.sio((await short_api.login("pat"))["access"])
    kept = await short_api.sio((await short_api.login("pat"))["access"])
    reasons: list = []
    stale.on("auth:expired", lambda data: reasons.append(data))
    # Tokens last 3 s (whole seconds, so 2-3 s left) and the grace is 1 s: both sockets'
    # deadlines fall 3-4 s from now. `kept` refreshes at 2 s, moving its deadline past 5 s.
    await asyncio.sleep(2.0)
    ack = await kept.call("auth:refresh", {"token": (await short_api.login("pat"))["access"]}, timeout=5)
    assert ack["ok"] is True
    await asyncio.sleep(2.3)
    assert not stale.connected
    assert reasons and reasons[0]["code"] == "token_expired"
    assert kept.connected  # refreshed in time
    await kept.disconnect()
