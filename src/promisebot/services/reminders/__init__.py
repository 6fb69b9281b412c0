"""Still-stalled reminders: schedules (`remind here|list|off`), the digests they post with
the editors' answers (reviewed, snooze), and the cadence math that says when they run."""

from promisebot.domain import AmbiguousPromise
from promisebot.services.reminders.cadence import (
    CHANGES,
    DAY_NAMES,
    STALLED,
    Cadence,
    ScheduleSpec,
)
from promisebot.services.reminders.digests import SNOOZE_CHOICES, SNOOZE_MAX_DAYS, DigestService
from promisebot.services.reminders.records import (
    DigestAnswer,
    DigestClaim,
    DigestContent,
    DigestItem,
    DigestRunInfo,
    InvalidSnooze,
    NotStalled,
    OverdueItem,
    PromiseReviewed,
    PromiseSnoozed,
)
from promisebot.services.reminders.schedules import (
    DuplicateSchedule,
    ScheduleInfo,
    ScheduleNotFound,
    ScheduleService,
    TooManySchedules,
    UnknownTimezone,
)

__all__ = [
    "CHANGES",
    "DAY_NAMES",
    "SNOOZE_CHOICES",
    "SNOOZE_MAX_DAYS",
    "STALLED",
    "AmbiguousPromise",
    "Cadence",
    "DigestAnswer",
    "DigestClaim",
    "DigestContent",
    "DigestItem",
    "DigestRunInfo",
    "DigestService",
    "DuplicateSchedule",
    "InvalidSnooze",
    "NotStalled",
    "OverdueItem",
    "PromiseReviewed",
    "PromiseSnoozed",
    "ScheduleInfo",
    "ScheduleNotFound",
    "ScheduleService",
    "ScheduleSpec",
    "TooManySchedules",
    "UnknownTimezone",
]
