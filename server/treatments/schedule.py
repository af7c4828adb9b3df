"""Treatment arithmetic, pure: time is an argument, zones are IANA names.

A course starts at `started_at` (an instant) and lasts `duration_days` *calendar days in the
patient's zone*: 7 days from 10:00 in Paris end at 10:00 in Paris, whatever the DST change in
between (so 167 or 169 hours, never an end at 09:00 or 11:00 local). Intakes fall at fixed
local times of day (INTAKE_TIMES; from 5 a day, every 24/n hours from 08:00), in the zone's
wall clock: across a DST change they stay at 08:00 local. A local time the change skips
(02:30 on a spring-forward night) is taken with the offset before the change (Python's
fold=0), i.e. one hour later in wall time; a time that happens twice is taken once (its
first occurrence).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Waking-hours times for the usual frequencies (once, twice, three and four times a day).
INTAKE_TIMES: dict[int, tuple[time, ...]] = {
    1: (time(8),), 2: (time(8), time(20)), 3: (time(8), time(14), time(20)),
    4: (time(8), time(12), time(16), time(20)),
}


def times_of_day(frequency: int) -> tuple[time, ...]:
    if frequency in INTAKE_TIMES:
        return INTAKE_TIMES[frequency]
    step = 24 * 60 // frequency  # minutes; from 5 a day, round the clock from 08:00
    return tuple(sorted(time(((8 * 60 + i * step) // 60) % 24, (8 * 60 + i * step) % 60)
                        for i in range(frequency)))


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant of wall time `day at` in `zone`, in UTC (fold=0 for gaps and repeats)."""
    naive = datetime.combine(day, at)
    # Round-trip through UTC: a wall time inside a spring-forward gap becomes a real instant.
    return naive.replace(tzinfo=zone).astimezone(UTC)


def end_of(started_at: datetime, duration_days: int, zone: str) -> datetime:
    """`duration_days` calendar days after `started_at` at the same local wall time."""
    tz = ZoneInfo(zone)
    local = started_at.astimezone(tz)
    return _local(local.date() + timedelta(days=duration_days), local.time().replace(tzinfo=None), tz)


def days_left(end: datetime, now: datetime, zone: str) -> int:
    """Local calendar days from today to the end day (0 on the last day and after)."""
    tz = ZoneInfo(zone)
    return max(0, (end.astimezone(tz).date() - now.astimezone(tz).date()).days)


def intakes(started_at: datetime, end: datetime, frequency: int, zone: str,
            after: datetime | None = None, until: datetime | None = None) -> Iterator[datetime]:
    """Scheduled intakes in [started_at, end), in order, those > `after` and <= `until` (UTC)."""
    tz = ZoneInfo(zone)
    lo = max(started_at, after + timedelta(microseconds=1)) if after else started_at
    hi = min(end, until + timedelta(microseconds=1)) if until else end
    day = lo.astimezone(tz).date() - timedelta(days=1)  # a gap time may map to the previous day
    last = hi.astimezone(tz).date() + timedelta(days=1)
    seen: set[datetime] = set()
    while day <= last:
        for at in times_of_day(frequency):
            when = _local(day, at, tz)
            if lo <= when < hi and when not in seen:
                seen.add(when)
                yield when
        day += timedelta(days=1)


def next_intake(started_at: datetime, end: datetime, frequency: int, zone: str, after: datetime) -> datetime | None:
    """The first scheduled intake strictly after `after`, or None when the course is over."""
    return next(intakes(started_at, end, frequency, zone, after=after), None)


def count(started_at: datetime, end: datetime, frequency: int, zone: str) -> int:
    return sum(1 for _ in intakes(started_at, end, frequency, zone))
