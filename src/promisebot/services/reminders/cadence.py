"""When reminders run: a schedule's weekdays and local time as DST-correct fire instants and
period keys, and the stored form of its days. Pure: no database, no Slack, no APScheduler."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STALLED = "stalled"  # a schedule's kind: the still-stalled digest
CHANGES = "changes"  # a schedule's kind: what changed since its previous run


def days_text(days: Iterable[int]) -> str:
    """The stored form of weekdays (Monday = 0): `mon,thu`."""
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def days_from_text(text: str) -> tuple[int, ...]:
    """The weekdays of a stored `days_text`; ValueError if it is not one."""
    return tuple(sorted({DAY_NAMES.index(name) for name in text.split(",")}))


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
    """A new schedule: weekdays (Monday = 0), local time, optional threshold in days; its
    kind is a still-stalled digest, or (`CHANGES`) a "what changed" digest."""

    days: tuple[int, ...]
    hour: int
    minute: int
    threshold_days: int | None = None
    kind: str = STALLED

    @property
    def days_text(self) -> str:
        return days_text(self.days)

    @property
    def time_text(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


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
        """From a schedule's stored columns (`mon,thu`, `09:00`, `America/New_York`)."""
        hour, minute = (int(part) for part in local_time.split(":"))
        return cls(frozenset(days_from_text(days_of_week)), hour, minute, ZoneInfo(timezone))

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

    def fire_time_of(self, period_key: str) -> datetime:
        """The instant a period (as `period_key` names it) fires."""
        fire = self.fire_time_on(date.fromisoformat(period_key[:10]))
        if fire is None:
            raise ValueError(f"{period_key} is not one of this cadence's periods")
        return fire

    def previous_before(self, fire_time: datetime) -> datetime:
        """The fire instant before `fire_time`: where a period's window opens."""
        return self.latest_at_or_before(fire_time - timedelta(microseconds=1))

    def period_key(self, fire_time: datetime) -> str:
        """The scheduled local date and wall time, e.g. `2026-11-30T09:00` (one per period)."""
        day = fire_time.astimezone(self.tz).date()
        return f"{day.isoformat()}T{self.hour:02d}:{self.minute:02d}"
