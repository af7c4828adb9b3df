"""The database being away, as this process sees it: one classification, one log, one answer.

While MongoDB (or the embedded SecantusDB, restarted by server.storage.db's supervisor) does not
answer, every transport turns the driver's connection errors into `Unavailable` (HTTP 503 +
Retry-After, socket and device ack `retry_later`), so devices keep their buffer and send again.
The log says it once per outage with one traceback, then one line per LOG_EVERY_S counting the
failed operations, then once when the database is back: a probe measured 2,500 tracebacks in
47 minutes before this.
"""

from __future__ import annotations

import logging
import math

from pymongo.errors import ConnectionFailure

from models.errors import Unavailable
from server.clock import Clock

log = logging.getLogger(__name__)

LOG_EVERY_S = 60.0
RETRY_AFTER_S = 5


def is_unavailable(exc: BaseException) -> bool:
    """The driver could not reach the database (AutoReconnect, NetworkTimeout, ServerSelectionTimeout…),
    as opposed to a refused or invalid operation."""
    return isinstance(exc, ConnectionFailure)


class Outage:
    """Counts database failures between the first one and the recovery; rate-limits their log lines."""

    def __init__(self, clock: Clock | None = None, log_every_s: float = LOG_EVERY_S) -> None:
        self.clock = clock or Clock()
        self.log_every_s = log_every_s
        self.since: float | None = None  # when this outage began (clock timestamp)
        self.failures = 0  # failed operations since the last log line
        self._logged_at = -math.inf
        self.fatal: str | None = None  # set when the database cannot come back (restarts exhausted)

    @property
    def down(self) -> bool:
        return self.since is not None

    def seen(self, exc: BaseException, what: str = "a database operation") -> Unavailable:
        """Record one failure; returns the error to answer the client with."""
        now = self.clock.timestamp()
        if self.since is None:
            self.since, self.failures, self._logged_at = now, 0, now
            log.error("the database is unavailable (%s failed); answering retry_later until it is back",
                      what, exc_info=exc)
        else:
            self.failures += 1
            if now - self._logged_at >= self.log_every_s:
                log.warning("the database is still unavailable after %.0f s (%d more failed operations)",
                            now - self.since, self.failures)
                self._logged_at, self.failures = now, 0
        return Unavailable(retry_after=RETRY_AFTER_S)

    def began(self) -> None:
        """The outage is known before any operation failed (the supervisor saw the child die and said so)."""
        if self.since is None:
            self.since, self.failures, self._logged_at = self.clock.timestamp(), 0, self.clock.timestamp()

    def recovered(self) -> None:
        if self.since is not None:
            log.warning("the database is back after %.0f s", self.clock.timestamp() - self.since)
        self.since, self.failures = None, 0

    def gave_up(self, reason: str) -> None:
        self.fatal = reason
        log.critical("the database cannot recover: %s; /health now answers 503", reason)

    def log_failure(self, logger: logging.Logger, exc: BaseException, msg: str, *args: object) -> None:
        """`logger.exception(msg)` for a real failure; for the database being away, the outage's
        rate-limited lines instead (background loops call this at each failed pass)."""
        if is_unavailable(exc):
            self.seen(exc, msg % args)
        else:
            logger.error(msg, *args, exc_info=exc)

    def translate(self, exc: BaseException, what: str = "a database operation") -> Unavailable | None:
        """`Unavailable` (and the failure counted) when `exc` means the database is away, else None."""
        return self.seen(exc, what) if is_unavailable(exc) else None
