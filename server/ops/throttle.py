"""Rate limits and lockouts through the `limits` library (moving windows, so a limit never lets
twice its amount through at a window edge): in memory for one process, in Redis (REDIS_URL) when
several processes must share them.

Each rule is one setting in `limits` notation, several windows joined by `;` (a burst and a
sustained rate: `20/second;300/minute`, which is how a token bucket of 20 refilled at 5/s behaves).
A refusal is a `RateLimited` (HTTP 429 + `Retry-After`; socket ack `rate_limited` with
`details.retry_after`). When the storage fails (Redis gone) requests are let through and the
failure is logged once a minute: a limiter must not take the service down with it.

`limits` reads `time.time()`, which is what `Clock` gives in production; tests point both at a
FakeClock (tests/support/throttle.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from models.errors import RateLimited
from server.clock import Clock
from server.logs import security_event
from server.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


class Throttle:
    """Named rules (setting name -> windows) over one storage."""

    def __init__(self, settings: Settings, clock: Clock, storage: Storage | None = None) -> None:
        self.clock = clock
        if storage is None:
            storage = (RedisStorage(settings.redis_url, implementation="redispy", key_prefix="fadjma-limits")
                       if settings.redis_url else MemoryStorage())
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.rules: dict[str, list[RateLimitItem]] = {
            name: parse_many(spec) for name, spec in settings.rate_limits.items() if spec}
        self._failed_at = -math.inf

    def _failing(self, exc: Exception) -> Verdict:
        now = self.clock.timestamp()
        if now - self._failed_at >= 60:
            self._failed_at = now
            log.warning("rate limit storage unavailable (%s): requests are not limited meanwhile",
                        type(exc).__name__)
        return Verdict(True)

    async def _retry_after(self, item: RateLimitItem, rule: str, key: str) -> int:
        stats = await self.limiter.get_window_stats(item, rule, key)
        # A hit exactly at reset_time still counts in the window (limits compares with >=): one more second.
        return max(1, math.floor(stats.reset_time - self.clock.timestamp()) + 1)

    async def check(self, rule: str, key: str) -> Verdict:
        """Would one more hit pass? (Nothing is counted.)"""
        try:
            for item in self.rules.get(rule, ()):
                if not await self.limiter.test(item, rule, key):
                    return Verdict(False, await self._retry_after(item, rule, key))
        except Exception as exc:  # the storage's own errors (redis, connection): fail open
            return self._failing(exc)
        return Verdict(True)

    async def hit(self, rule: str, key: str, cost: int = 1) -> Verdict:
        """Count one event (of weight `cost`) against every window of `rule`, stopping at a full one."""
        try:
            for item in self.rules.get(rule, ()):
                if not await self.limiter.hit(item, rule, key, cost=cost):
                    return Verdict(False, await self._retry_after(item, rule, key))
        except Exception as exc:
            return self._failing(exc)
        return Verdict(True)

    async def take(self, rule: str, key: str, what: str = "requests", cost: int = 1) -> None:
        """`hit`, raising RateLimited when refused."""
        verdict = await self.hit(rule, key, cost)
        if not verdict.allowed:
            raise RateLimited(f"Too many {what}; retry in {verdict.retry_after} s", retry_after=verdict.retry_after)

    async def clear(self, rule: str, key: str) -> None:
        try:
            for item in self.rules.get(rule, ()):
                await self.limiter.clear(item, rule, key)
        except Exception as exc:
            self._failing(exc)


class LoginGuard:
    """Sign-in throttling per account and per client address (argon2 costs ~100 ms of CPU a try).

    The account's window counts every attempt before the password is checked (parallel guesses
    cannot slip through together) and is cleared by a success; the address's counts failures. A
    full window is a lockout: 429 `too_many_attempts` with `Retry-After`, before any password
    check, the right password included. Unknown usernames are counted exactly like real ones, so
    the answer never tells whether an account exists."""

    ACCOUNT, ADDRESS = "LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_ADDRESS"

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle

    @staticmethod
    def _locked(verdict: Verdict) -> RateLimited:
        return RateLimited(f"Too many failed sign-ins; try again in {verdict.retry_after} s",
                           retry_after=verdict.retry_after, code="too_many_attempts")

    async def before(self, account: str, address: str | None) -> None:
        if address:
            verdict = await self.throttle.check(self.ADDRESS, address)
            if not verdict.allowed:
                security_event("lockout", "address", address=address, retry_after=verdict.retry_after)
                raise self._locked(verdict)
        verdict = await self.throttle.hit(self.ACCOUNT, account)
        if not verdict.allowed:
            security_event("lockout", "account", username=account[:64], retry_after=verdict.retry_after)
            raise self._locked(verdict)

    async def failed(self, address: str | None) -> None:
        if address:
            await self.throttle.hit(self.ADDRESS, address)

    async def succeeded(self, account: str) -> None:
        await self.throttle.clear(self.ACCOUNT, account)


REST_WRITES, SOCKET_EVENTS = "RATE_LIMIT_REST_WRITES", "RATE_LIMIT_SOCKET_EVENTS"
DEVICE_DATA, CONNECTIONS = "RATE_LIMIT_DEVICE_DATA", "RATE_LIMIT_CONNECTIONS"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes with a limit of their own: sign-in (LoginGuard), device data (per device), LoRaWAN network servers.
OWN_LIMITS = ("/api/iot/data", "/api/iot/batch", "/api/iot/heartbeat", "/api/iot/lorawan/")


def writes_middleware(throttle: Throttle, user_of: Callable[[str], str | None]):
    """REST writes under /api per user (the access token's subject, checked by signature only: the
    handler still authenticates) or, without a valid token, per client address."""

    @web.middleware
    async def limit_writes(request: web.Request, handler):
        path = request.path
        if request.method in WRITES and path.startswith("/api/") and path != "/api/token/" \
                and not path.startswith(OWN_LIMITS):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            user = user_of(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
            await throttle.take(REST_WRITES, f"user:{user}" if user else f"addr:{request.remote}", "requests")
        return await handler(request)

    return limit_writes
