"""When reminders run: parsing `<days> <HH:MM> [threshold]` and a schedule's DST-correct
fire times and period keys. Pure: no database, no Slack, no APScheduler."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from promisebot.domain import DomainError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
THRESHOLD_MAX = 3650
USAGE = (
    "Usage: `/promise remind here <days> <HH:MM> [threshold-days]`, "
    "e.g. `/promise remind here mon,thu 09:00 30`. Days: `mon`…`sun`, lists like `mon,thu`, "
    "ranges like `mon-fri`, or `weekdays`, `weekends`, `daily`; time is 24-hour local time."
)

_DAY_ALIASES = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_DAY_GROUPS = {
    "weekdays": range(5),
    "weekday": range(5),
    "weekends": range(5, 7),
    "weekend": range(5, 7),
    "daily": range(7),
    "everyday": range(7),
}
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")
_THRESHOLD = re.compile(r"^(\d+)\s*(?:d|days?)?$")


class InvalidSchedule(DomainError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem} {USAGE}")


def parse_days(text: str) -> tuple[int, ...]:
    """`mon,thu`, `mon-fri`, `weekdays`, `daily`, full names → sorted weekday numbers."""
    days: set[int] = set()
    for part in re.split(r"[,\s]+", text.strip().lower()):
        if not part:
            continue
        if part in _DAY_GROUPS:
            days.update(_DAY_GROUPS[part])
        elif "-" in part:
            start_text, _, end_text = part.partition("-")
            start, end = _DAY_ALIASES.get(start_text), _DAY_ALIASES.get(end_text)
            if start is None or end is None:
                raise InvalidSchedule(f"'{part}' is not a range of days.")
            # A range may wrap around the weekend: fri-mon is Fri, Sat, Sun, Mon.
            days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
        elif part in _DAY_ALIASES:
            days.add(_DAY_ALIASES[part])
        else:
            raise InvalidSchedule(f"'{part}' is not a day.")
    if not days:
        raise InvalidSchedule("Say which days the reminder should run.")
    return tuple(sorted(days))


def days_text(days: Iterable[int]) -> str:
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def describe_days(days: tuple[int, ...]) -> str:
    if days == tuple(range(7)):
        return "Every day"
    if days == tuple(range(5)):
        return "Weekdays"
    if days == (5, 6):
        return "Weekends"
    return ", ".join(DAY_NAMES[day].title() for day in days)


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """What `remind here` asked for: weekdays (Monday = 0), local time, optional threshold."""

    days: tuple[int, ...]
    hour: int
    minute: int
    threshold_days: int | None = None

    @property
    def days_text(self) -> str:
        return days_text(self.days)

    @property
    def time_text(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


def parse_schedule_spec(text: str) -> ScheduleSpec:
    """Parse `<days> <HH:MM> [threshold-days]` (the words after `remind here`)."""
    words = text.split()
    at = next((i for i, word in enumerate(words) if _TIME.match(word)), None)
    if at is None:
        if any(":" in word for word in words):
            raise InvalidSchedule("The time must be 24-hour HH:MM, e.g. 09:00 or 17:30.")
        raise InvalidSchedule("Say what time the reminder should run.")
    if at == 0:
        raise InvalidSchedule("Say which days the reminder should run.")
    days = parse_days(" ".join(words[:at]))
    matched = _TIME.match(words[at])
    assert matched is not None
    threshold: int | None = None
    rest = " ".join(words[at + 1 :])
    if rest:
        number = _THRESHOLD.match(rest)
        if number is None:
            raise InvalidSchedule(f"'{rest}' is not a number of days.")
        threshold = int(number.group(1))
        if not 1 <= threshold <= THRESHOLD_MAX:
            raise InvalidSchedule(f"The threshold must be 1 to {THRESHOLD_MAX} days.")
    return ScheduleSpec(days, int(matched.group(1)), int(matched.group(2)), threshold)


@dataclass(frozen=True, slots=True)
class Cadence:
    """When a schedule fires, in its own time zone, as aware UTC instants.

    A local time that does not exist (the spring-forward gap) fires at the next valid
    minute; one that happens twice (fall back) fires once, at its first occurrence.
    """

    days: frozenset[int]
    hour: int
    minute: int
    tz: ZoneInfo

    @classmethod
    def of(cls, days_of_week: str, local_time: str, timezone: str) -> Cadence:
        hour, minute = (int(part) for part in local_time.split(":"))
        return cls(frozenset(parse_days(days_of_week)), hour, minute, ZoneInfo(timezone))

    def fire_time_on(self, day: date) -> datetime | None:
        """The instant it fires on a local calendar day, or None if that day is not chosen."""
        if day.weekday() not in self.days:
            return None
        wall = datetime.combine(day, time(self.hour, self.minute))
        for minutes in range(24 * 60):
            candidate = (wall + timedelta(minutes=minutes)).replace(tzinfo=self.tz, fold=0)
            instant = candidate.astimezone(UTC)
            # A wall time in a gap does not survive the round trip; the first one that
            # does is the end of the gap.
            if instant.astimezone(self.tz).replace(tzinfo=None) == candidate.replace(tzinfo=None):
                return instant
        raise AssertionError("no valid local time within a day")  # pragma: no cover

    def latest_at_or_before(self, now: datetime) -> datetime:
        today = now.astimezone(self.tz).date()
        for back in range(9):
            fire = self.fire_time_on(today - timedelta(days=back))
            if fire is not None and fire <= now:
                return fire
        raise AssertionError("a weekly cadence fires within 8 days")  # pragma: no cover

    def next_after(self, now: datetime) -> datetime:
        today = now.astimezone(self.tz).date()
        for ahead in range(9):
            fire = self.fire_time_on(today + timedelta(days=ahead))
            if fire is not None and fire > now:
                return fire
        raise AssertionError("a weekly cadence fires within 8 days")  # pragma: no cover

    def period_key(self, fire_time: datetime) -> str:
        """The scheduled local date and wall time, e.g. `2026-11-30T09:00` (one per period)."""
        day = fire_time.astimezone(self.tz).date()
        return f"{day.isoformat()}T{self.hour:02d}:{self.minute:02d}"


OFF_USAGE = "Usage: `/promise remind off <id>`; `/promise remind list` shows each schedule's id."


def parse_schedule_id(text: str) -> int:
    """The id in `remind off <id>` (`3` or `#3`)."""
    word = text.strip().removeprefix("#")
    if not word.isdigit() or int(word) < 1:
        raise DomainError(f"'{text.strip()}' is not a schedule id. {OFF_USAGE}")
    return int(word)
