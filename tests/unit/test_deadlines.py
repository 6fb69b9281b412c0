"""Deadlines without I/O: reading a typed date, the label's limit, overdue or not, the
words of `/promise due`, and the "due …" line."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promisebot.domain import Deadline, InvalidDeadline, Rating, check_deadline, parse_due_on
from promisebot.slack.blocks.deadlines import due_text
from promisebot.slack.listeners.deadlines import DueArguments, parse_due_args

TODAY = date(2026, 11, 25)


@given(st.dates(min_value=date(1900, 1, 1)))
def test_every_iso_date_from_1900_reads_back(day: date) -> None:
    assert parse_due_on(day.isoformat()) == day


@pytest.mark.parametrize(
    "text", ["2026-2-3", "20261203", "Dec 3", "2026-13-01", "2025-02-29", "2026-12-03T10:00", ""]
)
def test_anything_else_names_the_format(text: str) -> None:
    with pytest.raises(InvalidDeadline, match="write the deadline as YYYY-MM-DD"):
        parse_due_on(text)


def test_dates_before_1900_and_long_labels_are_refused() -> None:
    with pytest.raises(InvalidDeadline, match="before 1900"):
        parse_due_on("1899-12-31")
    assert check_deadline(TODAY, "  " + "x" * 60 + " ") == "x" * 60
    with pytest.raises(InvalidDeadline, match="to 60 characters \\(it has 61\\)"):
        check_deadline(TODAY, "x" * 61)


def test_a_deadline_is_overdue_only_when_passed_and_unsettled() -> None:
    past = date(2025, 4, 29)
    assert Deadline.of(None, "", Rating.STALLED, TODAY) is None
    overdue = Deadline.of(past, "first 100 days", Rating.IN_THE_WORKS, TODAY)
    assert overdue is not None and overdue.days_overdue == 575
    for rating in (Rating.PROMISE_KEPT, Rating.PROMISE_BROKEN):
        settled = Deadline.of(past, "", rating, TODAY)
        assert settled is not None and settled.days_overdue is None
    due_today = Deadline.of(TODAY, "", Rating.STALLED, TODAY)
    assert due_today is not None and due_today.days_overdue is None


def test_the_due_line() -> None:
    def line(due_on: date, label: str = "", rating: Rating = Rating.STALLED) -> str:
        deadline = Deadline.of(due_on, label, rating, TODAY)
        assert deadline is not None
        return due_text(deadline)

    assert line(date(2025, 4, 29), "first 100 days") == (
        "due Apr 29, 2025 (first 100 days) · overdue by 575 days"
    )
    assert line(date(2026, 11, 24)) == "due Nov 24, 2026 · overdue by 1 day"
    assert line(date(2026, 12, 7)) == "due in 12 days, on Dec 7, 2026"
    assert line(date(2026, 11, 26)) == "due in 1 day, on Nov 26, 2026"
    assert line(TODAY, "<b>") == "due today, Nov 25, 2026 (&lt;b&gt;)"
    assert line(date(2025, 1, 21), rating=Rating.PROMISE_BROKEN) == "due Jan 21, 2025"


def test_the_words_of_promise_due() -> None:
    assert parse_due_args("wall 2026-12-07") == DueArguments("wall", date(2026, 12, 7), "")
    assert parse_due_args("gov/wall 2026-12-07  end of  year ") == DueArguments(
        "gov/wall", date(2026, 12, 7), "end of  year "
    )
    assert parse_due_args("wall NONE") == DueArguments("wall", None, "")
    with pytest.raises(InvalidDeadline, match="Usage: `/promise due"):
        parse_due_args("wall 07/12/2026")
    with pytest.raises(Exception, match="takes no label"):
        parse_due_args("wall none at all")
    with pytest.raises(Exception, match="Give a promise id and a date"):
        parse_due_args("wall")
