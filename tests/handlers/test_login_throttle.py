"""Sign-in throttling as a client sees it: a lockout per account and per address that says when
to retry (429 + Retry-After), which the right password does not get through, and which looks the
same for an account that does not exist. The windows are driven by a FakeClock."""

from __future__ import annotations

import dataclasses

import pytest

from server.app import create_app
from server.clock import FakeClock
from server.ops.throttle import LoginGuard, Throttle
from tests.conftest import DEMO_PASSWORD, Api
from tests.support.throttle import drive_limits, redis_server


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock()
    drive_limits(monkeypatch, clock)
    return clock


async def attempt(api, username, password="wrong-password"):
    resp = await api.client.post("/api/token/", json={"username": username, "password": password})
    return resp.status, (await resp.json())["error"]["code"] if resp.status != 200 else "ok", \
        resp.headers.get("Retry-After")


async def test_account_lockout_refuses_even_the_right_password_then_lifts(api, clock):
    await api.register_patient("bob")
    for _ in range(10):
        assert await attempt(api, "bob") == (401, "invalid_credentials", None)
    clock.advance(60)
    assert await attempt(api, "BOB", DEMO_PASSWORD) == (429, "too_many_attempts", str(15 * 60 - 60 + 1))
    clock.advance(15 * 60 - 60)
    assert await attempt(api, "bob", DEMO_PASSWORD) == (429, "too_many_attempts", "1")
    clock.advance(1)  # as Retry-After said: the first failure left the window
    assert await attempt(api, "bob", DEMO_PASSWORD) == (200, "ok", None)


async def test_an_unknown_account_is_locked_exactly_like_a_real_one(api, clock):
    await api.register_patient("carl")
    real = [await attempt(api, "carl") for _ in range(12)]
    ghost = [await attempt(api, "nobody") for _ in range(12)]
    assert real == ghost
    assert real[-1] == (429, "too_many_attempts", str(15 * 60 + 1))


async def test_a_success_clears_the_account_window(api, clock):
    await api.register_patient("dina")
    for _ in range(9):
        await attempt(api, "dina")
    assert (await attempt(api, "dina", DEMO_PASSWORD))[0] == 200
    for _ in range(9):
        assert (await attempt(api, "dina"))[0] == 401
    assert (await attempt(api, "dina", DEMO_PASSWORD))[0] == 200


async def test_one_address_spraying_many_accounts_is_locked(aiohttp_client, settings, clock):
    limits = {**settings.rate_limits, "LOGIN_FAILURES_PER_ADDRESS": "5/minute"}
    api = Api(await aiohttp_client(create_app(dataclasses.replace(settings, rate_limits=limits), clock)))
    await api.register_patient("erin")
    for i in range(5):
        assert (await attempt(api, f"user{i}"))[0] == 401
    assert await attempt(api, "erin", DEMO_PASSWORD) == (429, "too_many_attempts", "61")
    clock.advance(61)
    assert (await attempt(api, "erin", DEMO_PASSWORD))[0] == 200


async def test_the_lockout_holds_across_processes_through_redis(settings, clock, tmp_path):
    """Two processes' guards over one real redis-server: failures on one lock the account on the other."""
    with redis_server(tmp_path) as url:
        shared = dataclasses.replace(settings, redis_url=url)
        one, two = LoginGuard(Throttle(shared, clock)), LoginGuard(Throttle(shared, clock))
        for guard in (one, two) * 5:
            await guard.before("frank", "10.0.0.1")
            await guard.failed("10.0.0.1")
        with pytest.raises(Exception) as refused:
            await one.before("frank", "10.0.0.2")
        assert refused.value.code == "too_many_attempts" and refused.value.retry_after == 15 * 60 + 1
        clock.advance(15 * 60 + 1)
        await two.before("frank", "10.0.0.2")
