"""Rendering of deadlines: the "due … · overdue by N days" line (card, lists, digest, App
Home, proposal roots) and the answers to `/promise due`."""

from __future__ import annotations

from promisebot.domain import DUE_LABEL_MAX, Deadline
from promisebot.services.deadlines import DeadlineChanged
from promisebot.slack.blocks.common import (
    Message,
    escape,
    format_day,
    plural,
    section,
)

LIST_OVERDUE = "/promise list overdue"
DUE_USAGE = (
    "Usage: `/promise due <id> <YYYY-MM-DD> [label]`, e.g. "
    "`/promise due close-education-department 2025-04-29 first 100 days`; "
    f"`/promise due <id> none` clears it. The label is at most {DUE_LABEL_MAX} characters."
)


def due_text(deadline: Deadline) -> str:
    """`due Apr 29, 2025 (first 100 days) · overdue by 214 days`, `due in 12 days, on …`,
    or just the date once the promise is settled (mrkdwn, label escaped)."""
    label = f" ({escape(deadline.label)})" if deadline.label else ""
    day = format_day(deadline.due_on)
    overdue = deadline.days_overdue
    if overdue is not None:
        return f"due {day}{label} · overdue by {plural(overdue, 'day')}"
    if deadline.settled or deadline.days_left < 0:
        return f"due {day}{label}"
    if deadline.days_left == 0:
        return f"due today, {day}{label}"
    return f"due in {plural(deadline.days_left, 'day')}, on {day}{label}"


def overdue_icon(deadline: Deadline) -> str:
    return ":alarm_clock:" if deadline.days_overdue is not None else ":calendar:"


def deadline_saved_message(result: DeadlineChanged) -> Message:
    """The answer to `/promise due <id> <date> [label]` and `/promise due <id> none`."""
    what = f"*{escape(result.title)}* (`{escape(result.tracker)}/{escape(result.external_id)}`)"
    if result.deadline is None:
        text = (
            f":calendar: Deadline cleared: {what} has no deadline now."
            if result.previous_due_on
            else f":calendar: {what} had no deadline; nothing to clear."
        )
    else:
        text = (
            f"{overdue_icon(result.deadline)} Deadline set: {what} is {due_text(result.deadline)}."
        )
    return Message(text.replace("*", ""), [section(text)])
