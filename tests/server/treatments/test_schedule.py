"""Treatment arithmetic as tables: month ends, DST changes, time zones, gaps and repeats."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from server.treatments import schedule


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


@pytest.mark.parametrize(("start", "days", "zone", "end"), [
    # the earlier API's example, in UTC
    (utc(2024, 3, 20, 10), 7, "UTC", utc(2024, 3, 27, 10)),
    # month and year ends, leap day
    (utc(2026, 1, 30, 9), 3, "Africa/Dakar", utc(2026, 2, 2, 9)),
    (utc(2028, 2, 27, 9), 3, "Africa/Dakar", utc(2028, 3, 1, 9)),      # 2028 is a leap year: 28, 29, 1
    (utc(2026, 2, 27, 9), 3, "Africa/Dakar", utc(2026, 3, 2, 9)),
    (utc(2026, 12, 30, 22), 5, "UTC", utc(2027, 1, 4, 22)),
    # Paris spring forward (29 March 2026): 10:00 local before (09:00Z) and after (08:00Z): 167 h
    (utc(2026, 3, 28, 9), 7, "Europe/Paris", utc(2026, 4, 4, 8)),
    # Paris fall back (25 October 2026): 169 h
    (utc(2026, 10, 24, 8), 7, "Europe/Paris", utc(2026, 10, 31, 9)),
    # New York (8 March 2026) and a southern-hemisphere change, Auckland (5 April 2026, back an hour)
    (utc(2026, 3, 7, 15), 2, "America/New_York", utc(2026, 3, 9, 14)),
    (utc(2026, 4, 3, 21), 3, "Pacific/Auckland", utc(2026, 4, 6, 22)),
    # a zone ahead of UTC whose local date differs from the UTC date
    (utc(2026, 1, 31, 20), 1, "Asia/Tokyo", utc(2026, 2, 1, 20)),
])
def test_end_is_the_same_local_time_n_calendar_days_later(start, days, zone, end):
    assert schedule.end_of(start, days, zone) == end


@pytest.mark.parametrize(("frequency", "times"), [
    (1, ["08:00"]), (2, ["08:00", "20:00"]), (3, ["08:00", "14:00", "20:00"]),
    (4, ["08:00", "12:00", "16:00", "20:00"]),
    (6, ["00:00", "04:00", "08:00", "12:00", "16:00", "20:00"]),
    (24, [f"{h:02d}:00" for h in range(24)]),
])
def test_times_of_day(frequency, times):
    assert [t.strftime("%H:%M") for t in schedule.times_of_day(frequency)] == times


def test_intakes_stay_at_local_times_across_spring_forward():
    start = utc(2026, 3, 27, 23)  # 28 March 00:00 in Paris (UTC+1)
    end = schedule.end_of(start, 3, "Europe/Paris")
    got = list(schedule.intakes(start, end, 2, "Europe/Paris"))
    local = [t.astimezone(schedule.ZoneInfo("Europe/Paris")).strftime("%d %H:%M") for t in got]
    assert local == ["28 08:00", "28 20:00", "29 08:00", "29 20:00", "30 08:00", "30 20:00"]
    assert got[1] == utc(2026, 3, 28, 19) and got[2] == utc(2026, 3, 29, 6)  # 11 h apart over the change


def test_a_skipped_local_time_is_taken_once_an_hour_later_and_a_repeated_one_once():
    zone = "Europe/Paris"
    # every hour (frequency 24) over the spring-forward night: 02:00 does not exist that night
    start, end = utc(2026, 3, 28, 23), utc(2026, 3, 29, 3)  # 00:00 CET .. 05:00 CEST
    got = list(schedule.intakes(start, end, 24, zone))
    assert got == [utc(2026, 3, 28, 23), utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)]
    # 00:00, 01:00, 02:00→03:00 (the gap, fold=0), 03:00 (same instant: once), 04:00
    assert len(got) == len(set(got))
    # fall back: 02:00 happens twice on 25 October; it is taken once (the first)
    start, end = utc(2026, 10, 24, 22), utc(2026, 10, 25, 4)  # 00:00 CEST .. 05:00 CET
    got = list(schedule.intakes(start, end, 24, zone))
    hours = [t.astimezone(schedule.ZoneInfo(zone)).strftime("%H") for t in got]
    assert hours == ["00", "01", "02", "03", "04"]
    assert got[2] == utc(2026, 10, 25, 0)  # the first 02:00 (CEST)


@pytest.mark.parametrize(("start", "days", "frequency", "zone", "total"), [
    (utc(2024, 3, 20, 10), 7, 3, "UTC", 21),            # 10:00 start: 14:00 and 20:00 on day 0, 08:00 on day 7
    (utc(2026, 3, 28, 9), 7, 3, "Europe/Paris", 21),    # the same across a DST change
    (utc(2026, 1, 1, 0), 1, 1, "UTC", 1),
    (utc(2026, 1, 1, 8), 1, 1, "UTC", 1),               # starts exactly at an intake: it counts
    (utc(2026, 1, 31, 7), 30, 4, "Asia/Tokyo", 120),
])
def test_number_of_intakes(start, days, frequency, zone, total):
    assert schedule.count(start, schedule.end_of(start, days, zone), frequency, zone) == total


def test_next_intake_and_the_end_of_the_course():
    start = utc(2026, 1, 1, 9)
    end = schedule.end_of(start, 1, "UTC")
    assert schedule.next_intake(start, end, 2, "UTC", after=start) == utc(2026, 1, 1, 20)
    assert schedule.next_intake(start, end, 2, "UTC", after=utc(2026, 1, 1, 20)) == utc(2026, 1, 2, 8)
    assert schedule.next_intake(start, end, 2, "UTC", after=utc(2026, 1, 2, 8)) is None


@pytest.mark.parametrize(("now", "zone", "left"), [
    (utc(2024, 3, 20, 10), "UTC", 7),
    (utc(2024, 3, 22, 23), "UTC", 5),
    (utc(2024, 3, 22, 23), "Asia/Tokyo", 4),   # already the 23rd in Tokyo
    (utc(2024, 3, 27, 9), "UTC", 0),           # the last day
    (utc(2024, 4, 30), "UTC", 0),              # long over: never negative
])
def test_jours_restants(now, zone, left):
    assert schedule.days_left(utc(2024, 3, 27, 10), now, zone) == left


def test_times_of_day_are_whole_minutes_for_any_frequency():
    for n in range(1, 25):
        ts = schedule.times_of_day(n)
        assert len(set(ts)) == n and all(t.second == 0 for t in ts) and time(8) in ts
