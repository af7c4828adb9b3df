"""Per-user rate limit of chatbot questions (the `limits` library, moving window).

One process: in memory. With REDIS_URL the window is kept in Redis, so a user who spreads
questions over several server processes is counted once. `limits` reads the wall clock
itself (it cannot take our injected clock): tests check the count within a window.
"""

from __future__ import annotations

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


class PerUserLimit:
    def __init__(self, rate: str, redis_url: str | None = None) -> None:
        self.rate = rate
        self.item = parse(rate)
        storage = (storage_from_string(f"async+{redis_url}", implementation="redispy") if redis_url
                   else MemoryStorage())
        self.limiter = MovingWindowRateLimiter(storage)

    async def hit(self, user_id: str) -> bool:
        """Count one question; False when the user is over the limit (then it is not counted)."""
        return await self.limiter.hit(self.item, "chatbot", user_id)
