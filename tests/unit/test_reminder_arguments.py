"""The words of `/promise remind here|off` and `/promise snooze` turned into typed
arguments, and the usage shown when they are wrong."""

from __future__ import annotations

import pytest

from promisebot.domain import DomainError
from promisebot.services.reminders import InvalidSnooze
from promisebot.slack.blocks.digest import REMIND_HERE_USAGE
from promisebot.slack.listeners.reminders import (
    InvalidSchedule,
    parse_schedule_id,
    parse_schedule_spec,
    parse_snooze_args,
)


@pytest.mark.parametrize(
    ("text", "days", "time", "threshold"),
    [
        ("mon,thu 09:00 30", (0, 3), "09:00", 30),
        ("mon 9:00", (0,), "09:00", None),
        ("weekdays 17:30", (0, 1, 2, 3, 4), "17:30", None),
        ("daily 07:05 14", tuple(range(7)), "07:05", 14),
        ("weekends 10:00", (5, 6), "10:00", None),
        ("mon-fri 08:00", (0, 1, 2, 3, 4), "08:00", None),
        ("fri-mon 08:00", (0, 4, 5, 6), "08:00", None),
        ("Monday, Thursday 23:59 45days", (0, 3), "23:59", 45),
        ("tues,thurs 00:00 7d", (1, 3), "00:00", 7),
    ],
)
def test_valid_specs(text: str, days: tuple[int, ...], time: str, threshold: int | None) -> None:
    spec = parse_schedule_spec(text)

    assert (spec.days, spec.time_text, spec.threshold_days) == (days, time, threshold)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "what time"),
        ("mon", "what time"),
        ("09:00", "which days"),
        ("mon 25:00", "24-hour HH:MM"),
        ("mon 9:60", "24-hour HH:MM"),
        ("funday 09:00", "'funday' is not a day"),
        ("mon-funday 09:00", "not a range"),
        ("mon 09:00 soon", "not a number of days"),
        ("mon 09:00 0", "1 to 3650"),
        ("mon 09:00 99999", "1 to 3650"),
    ],
)
def test_bad_specs_explain_and_show_a_valid_example(text: str, problem: str) -> None:
    with pytest.raises(InvalidSchedule) as error:
        parse_schedule_spec(text)

    assert problem in str(error.value)
    assert str(error.value).endswith(REMIND_HERE_USAGE)
    assert "remind here mon,thu 09:00 30" in str(error.value)
    # The example in the usage is itself valid.
    assert parse_schedule_spec("mon,thu 09:00 30").days == (0, 3)


def test_schedule_ids() -> None:
    assert parse_schedule_id("3") == 3
    assert parse_schedule_id(" #12 ") == 12
    with pytest.raises(DomainError, match="remind off <id>"):
        parse_schedule_id("three")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("roads 30", ("roads", 30)), ("gov/roads 7d", ("gov/roads", 7)), ("x 0", ("x", 0))],
)
def test_snooze_arguments(text: str, expected: tuple[str, int]) -> None:
    assert parse_snooze_args(text) == expected


@pytest.mark.parametrize("text", ["", "roads", "roads soon", "roads 400", "a b c"])
def test_bad_snooze_arguments_show_usage(text: str) -> None:
    with pytest.raises(InvalidSnooze, match="/promise snooze <id> <days>"):
        parse_snooze_args(text)


def test_spellings_of_one_schedule_parse_the_same() -> None:
    assert parse_schedule_spec("monday 9:00") == parse_schedule_spec("mon 09:00")
