"""The client's real address: behind a trusted proxy the audit records the client, never the proxy,
and nobody else can choose the address recorded with a forwarding header."""

from __future__ import annotations

import dataclasses

import pytest

from server.app import create_app
from server.settings import SettingsError
from server.settings import load_settings as load
from tests.conftest import Api
from tests.support.helpers import world

CLIENT = "203.0.113.7"


async def audit_ips(api, forwarded: str | None) -> list[str]:
    w = await world(api)
    await w.grant("doc", "pat", scopes=("records",))
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    status, _ = await api.call("GET", f"/api/patients/{w.ids['pat']}/records", w.tokens["doc"], headers=headers)
    assert status == 200
    # a denied attempt is recorded with its address too
    status, _ = await api.call("GET", f"/api/patients/{w.ids['pat']}/records", w.tokens["stranger"], headers=headers)
    assert status == 403
    _, trail = await w.call("pat", "GET", "/api/audit/me")
    return sorted(t["ip"] for t in trail)


async def test_behind_the_proxy_the_audit_records_the_client(api):
    # the test client connects from 127.0.0.1, a trusted proxy by default (the shipped nginx);
    # nginx appends the peer it saw to what the client sent: the client's own entry is not believed
    assert await audit_ips(api, f"198.51.100.9, {CLIENT}") == [CLIENT, CLIENT]


async def test_without_a_forwarding_header_the_peer_is_recorded(api):
    assert await audit_ips(api, None) == ["127.0.0.1", "127.0.0.1"]


async def test_a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address(aiohttp_client, settings, clock):
    app = create_app(dataclasses.replace(settings, trusted_proxies=("10.0.0.0/8",)), clock)
    api = Api(await aiohttp_client(app))
    assert await audit_ips(api, CLIENT) == ["127.0.0.1", "127.0.0.1"]


def test_trusted_proxies_setting():
    def load_settings(env):
        return load(env | {"JWT_SECRET": "s" * 40})
    assert load_settings({}).trusted_proxies == ("127.0.0.1/32", "::1/128")
    assert load_settings({"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.4"}).trusted_proxies == (
        "10.0.0.0/8", "192.168.1.4/32")
    assert load_settings({"TRUSTED_PROXIES": ""}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES entry 'nginx'"):
        load_settings({"TRUSTED_PROXIES": "nginx"})
