"""Fire times and period keys across DST changes: the pure Cadence and the APScheduler
trigger built on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from promisebot.scheduler import CadenceTrigger
from promisebot.services.reminders import Cadence
from tests.scheduler.support import EVERY_DAY

NY = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def monday_9am() -> Cadence:
    return Cadence.of("mon", "09:00", "America/New_York")


def test_monday_9am_new_york_across_the_november_change() -> None:
    cadence = monday_9am()
    first = cadence.next_after(utc(2026, 10, 20))
    second = cadence.next_after(first)
    third = cadence.next_after(second)

    assert first == utc(2026, 10, 26, 13, 0)  # 09:00 EDT
    assert second == utc(2026, 11, 2, 14, 0)  # 09:00 EST, after Nov 1's fall back
    assert third == utc(2026, 11, 9, 14, 0)
    assert {fire.astimezone(NY).strftime("%a %H:%M") for fire in (first, second, third)} == {
        "Mon 09:00"
    }


def test_monday_9am_new_york_across_the_march_change() -> None:
    cadence = monday_9am()
    before = cadence.next_after(utc(2027, 3, 2))
    after = cadence.next_after(before)

    assert before == utc(2027, 3, 8, 14, 0)  # 09:00 EST
    assert after == utc(2027, 3, 15, 13, 0)  # 09:00 EDT, after Mar 14's spring forward
    assert cadence.period_key(before) == "2027-03-08T09:00"
    assert cadence.period_key(after) == "2027-03-15T09:00"


def test_latest_at_or_before_and_next_after_meet_at_the_fire_time() -> None:
    cadence = monday_9am()
    fire = utc(2026, 11, 30, 14, 0)

    assert cadence.latest_at_or_before(fire) == fire
    assert cadence.latest_at_or_before(fire - timedelta(seconds=1)) == utc(2026, 11, 23, 14, 0)
    assert cadence.next_after(fire - timedelta(seconds=1)) == fire
    assert cadence.next_after(fire) == utc(2026, 12, 7, 14, 0)
    assert cadence.period_key(fire) == "2026-11-30T09:00"


def test_a_time_in_the_spring_gap_fires_at_the_end_of_the_gap() -> None:
    cadence = Cadence.of(EVERY_DAY, "02:30", "America/New_York")

    day_before = cadence.next_after(utc(2026, 3, 7))
    gap_day = cadence.next_after(day_before)
    day_after = cadence.next_after(gap_day)

    assert day_before == utc(2026, 3, 7, 7, 30)  # 02:30 EST
    # 02:30 does not exist on Mar 8: clocks go from 02:00 EST to 03:00 EDT (07:00 UTC).
    assert gap_day == utc(2026, 3, 8, 7, 0)
    assert gap_day.astimezone(NY).strftime("%H:%M %Z") == "03:00 EDT"
    assert cadence.period_key(gap_day) == "2026-03-08T02:30"
    assert day_after == utc(2026, 3, 9, 6, 30)  # 02:30 EDT


def test_an_ambiguous_fall_back_time_fires_once() -> None:
    cadence = Cadence.of(EVERY_DAY, "01:30", "America/New_York")

    first = cadence.next_after(utc(2026, 11, 1, 0, 0))
    then = cadence.next_after(first)

    assert first == utc(2026, 11, 1, 5, 30)  # the first 01:30 (EDT)
    assert then == utc(2026, 11, 2, 6, 30)  # not the second 01:30 (EST) that same night
    assert cadence.latest_at_or_before(utc(2026, 11, 1, 6, 45)) == first


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
)
def test_every_monday_for_two_years_fires_at_local_9am(zone: str) -> None:
    cadence = Cadence.of("mon", "09:00", zone)
    fire = cadence.next_after(utc(2026, 1, 1))
    for _ in range(104):
        local = fire.astimezone(ZoneInfo(zone))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
        assert cadence.period_key(fire) == f"{local.date().isoformat()}T09:00"
        nxt = cadence.next_after(fire)
        assert timedelta(days=7) - timedelta(hours=1) <= nxt - fire <= timedelta(days=7, hours=1)
        fire = nxt


def test_the_apscheduler_trigger_follows_the_cadence_across_dst() -> None:
    trigger = CadenceTrigger(monday_9am())

    first = trigger.get_next_fire_time(None, utc(2026, 10, 26, 13, 0))
    second = trigger.get_next_fire_time(first, utc(2026, 10, 26, 13, 0, 1))
    third = trigger.get_next_fire_time(second, utc(2026, 11, 2, 14, 0, 1))

    # At the fire time itself the first run is that instant, not a week later.
    assert first == utc(2026, 10, 26, 13, 0)
    assert second == utc(2026, 11, 2, 14, 0)
    assert third == utc(2026, 11, 9, 14, 0)
    assert trigger == CadenceTrigger(monday_9am())
    assert trigger != CadenceTrigger(Cadence.of("mon", "09:30", "America/New_York"))


def test_the_trigger_fires_an_ambiguous_time_once_unlike_a_cron_trigger() -> None:
    trigger = CadenceTrigger(Cadence.of("sun", "01:30", "America/New_York"))
    start = utc(2026, 10, 31, 12, 0)

    first = trigger.get_next_fire_time(None, start)
    second = trigger.get_next_fire_time(first, first)

    assert first == utc(2026, 11, 1, 5, 30)
    assert second == utc(2026, 11, 8, 6, 30)
