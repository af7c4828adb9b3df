"""A revoked session keeps no live socket: logout and refresh-token reuse disconnect the sockets of
that token family at once (told with `auth:revoked`), on this process and on another one sharing
Redis; the user's other sessions stay connected."""

from __future__ import annotations

import asyncio
import dataclasses

import socketio

from server.app import create_app
from tests.conftest import Api
from tests.support.throttle import redis_server


async def disconnected(sio: socketio.AsyncClient, within: float = 10.0) -> None:
    await asyncio.wait_for(sio.wait(), within)  # returns once the server closed the connection
    assert not sio.connected


def told(sio: socketio.AsyncClient) -> list[dict]:
    seen: list[dict] = []
    sio.on("auth:revoked", lambda data: seen.append(data))
    return seen


async def test_logout_disconnects_the_sessions_sockets_only(api):
    await api.register_patient("awa")
    session, other = await api.login("awa"), await api.login("awa")
    first, second, kept = await api.sio(session["access"]), await api.sio(session["access"]), \
        await api.sio(other["access"])
    seen = told(first)
    status, _ = await api.call("POST", "/api/token/revoke/", json={"refresh": session["refresh"]})
    assert status == 200
    await disconnected(first)
    await disconnected(second)
    assert seen == [{"code": "token_revoked", "message": "Your session was ended; sign in again."}]
    await asyncio.sleep(0.2)  # settle: the other session's socket is not touched
    assert kept.connected
    await kept.disconnect()


async def test_refresh_token_reuse_disconnects_the_family(api):
    await api.register_patient("binta")
    first = await api.login("binta")
    status, second = await api.call("POST", "/api/token/refresh/", json={"refresh": first["refresh"]})
    sock = await api.sio(second["access"])  # a socket on the rotated access token
    status, body = await api.call("POST", "/api/token/refresh/", json={"refresh": first["refresh"]})
    assert status == 401 and body["error"]["code"] == "token_reused"
    await disconnected(sock)


async def test_revocation_reaches_sockets_on_another_process(aiohttp_client, settings, clock, tmp_path):
    with redis_server(tmp_path) as url:
        shared = dataclasses.replace(settings, redis_url=url)
        one = Api(await aiohttp_client(create_app(shared, clock)))
        two = Api(await aiohttp_client(create_app(shared, clock)))
        await one.register_patient("coumba")
        tokens = await one.login("coumba")
        remote = await two.sio(tokens["access"])
        seen = told(remote)
        await asyncio.sleep(0.3)  # the session room is advertised in Redis
        assert (await one.call("POST", "/api/token/revoke/", json={"refresh": tokens["refresh"]}))[0] == 200
        await disconnected(remote)
        assert [s["code"] for s in seen] == ["token_revoked"]
