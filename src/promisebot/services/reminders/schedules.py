"""Reminder schedules: `remind here` / `remind list` / `remind off` as a service (editors
only, audited), with each schedule's next run in its own time zone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from promisebot.db.models import ReminderSchedule
from promisebot.db.uow import Database
from promisebot.domain import Clock, DomainError, UnknownTracker
from promisebot.services.permissions import Permissions
from promisebot.services.reminders.cadence import STALLED, Cadence, ScheduleSpec, describe_days
from promisebot.settings import Settings

MAX_SCHEDULES_PER_CHANNEL = 10
MANAGE = "manage reminder schedules"


class ScheduleNotFound(DomainError):
    def __init__(self, schedule_id: int) -> None:
        super().__init__(
            f"There is no reminder schedule #{schedule_id} here; "
            "`/promise remind list` shows this channel's schedules."
        )


class DuplicateSchedule(DomainError):
    def __init__(self, schedule_id: int) -> None:
        super().__init__(f"This channel already has that reminder (schedule #{schedule_id}).")


class TooManySchedules(DomainError):
    def __init__(self) -> None:
        super().__init__(
            f"A channel can have at most {MAX_SCHEDULES_PER_CHANNEL} reminder schedules; "
            "turn one off first with `/promise remind off <id>`."
        )


class UnknownTimezone(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"'{name}' is not a known time zone (e.g. America/New_York).")


@dataclass(frozen=True, slots=True)
class ScheduleInfo:
    id: int
    channel_id: str
    days: tuple[int, ...]
    local_time: str
    timezone: str
    threshold_days: int
    tracker_id: int | None
    tracker_slug: str | None
    enabled: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    next_run: datetime | None  # in the schedule's time zone; None when disabled
    kind: str = STALLED  # or CHANGES: a "what changed" digest

    @property
    def cadence(self) -> Cadence:
        hour, minute = (int(part) for part in self.local_time.split(":"))
        return Cadence(frozenset(self.days), hour, minute, ZoneInfo(self.timezone))

    @property
    def description(self) -> str:
        """e.g. `Mon, Thu at 09:00 (America/New_York)`."""
        return f"{describe_days(self.days)} at {self.local_time} ({self.timezone})"


def _info(row: ReminderSchedule, now: datetime) -> ScheduleInfo:
    cadence = Cadence.of(row.days_of_week, row.local_time, row.timezone)
    info = ScheduleInfo(
        id=row.id,
        channel_id=row.channel_id,
        days=tuple(sorted(cadence.days)),
        local_time=row.local_time,
        timezone=row.timezone,
        threshold_days=row.stalled_after_days,
        tracker_id=row.tracker_id,
        tracker_slug=row.tracker.slug if row.tracker else None,
        enabled=row.enabled,
        kind=row.kind,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        next_run=None,
    )
    if not row.enabled:
        return info
    return replace(info, next_run=cadence.next_after(now).astimezone(cadence.tz))


class ScheduleService:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, permissions: Permissions
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._permissions = permissions

    def authorize(self, user: str) -> None:
        """Raise `NotAnEditor` unless `user` may manage schedules. Every change checks it;
        a command asks first too, so a non-editor hears that before any lesson in syntax."""
        self._permissions.require_editor(user, MANAGE)

    def create(
        self,
        channel_id: str,
        user: str,
        spec: ScheduleSpec,
        tracker_slug: str | None = None,
        *,
        timezone: str | None = None,
    ) -> ScheduleInfo:
        self.authorize(user)
        zone = timezone or self._settings.timezone
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UnknownTimezone(zone) from None
        threshold = spec.threshold_days or self._settings.stalled_after_days
        now = self._clock()
        with self._db.transaction() as uow:
            tracker_id = None
            if tracker_slug:
                tracker = uow.promises.tracker_by_slug(tracker_slug)
                if tracker is None:
                    known = [row.slug for row in uow.promises.all_trackers()]
                    raise UnknownTracker(tracker_slug, known)
                tracker_id = tracker.id
            existing = uow.schedules.enabled(channel_id)
            wanted = (spec.days_text, spec.time_text, zone, threshold, tracker_id, spec.kind)
            for other in existing:
                if wanted == (
                    other.days_of_week,
                    other.local_time,
                    other.timezone,
                    other.stalled_after_days,
                    other.tracker_id,
                    other.kind,
                ):
                    raise DuplicateSchedule(other.id)
            if len(existing) >= MAX_SCHEDULES_PER_CHANNEL:
                raise TooManySchedules()
            row = ReminderSchedule(
                channel_id=channel_id,
                days_of_week=spec.days_text,
                local_time=spec.time_text,
                timezone=zone,
                stalled_after_days=threshold,
                tracker_id=tracker_id,
                enabled=True,
                kind=spec.kind,
                created_by=user,
                created_at=now,
                updated_at=now,
            )
            uow.add(row)
            uow.flush()
            uow.audit.record(
                actor=user,
                action="schedule.created",
                subject_type="schedule",
                subject_id=row.id,
                at=now,
                channel_id=channel_id,
                days=spec.days_text,
                local_time=spec.time_text,
                timezone=zone,
                threshold_days=threshold,
                tracker=tracker_slug,
                kind=spec.kind,
            )
            info = _info(row, now)
            uow.commit()
        return info

    def list_channel(self, channel_id: str, user: str) -> list[ScheduleInfo]:
        """`remind list`: one channel's enabled schedules, each with its next run."""
        self.authorize(user)
        return self._enabled(channel_id)

    def enabled(self) -> list[ScheduleInfo]:
        """Every enabled schedule, each with its next run (what the scheduler runs)."""
        return self._enabled(None)

    def _enabled(self, channel_id: str | None) -> list[ScheduleInfo]:
        now = self._clock()
        with self._db.reading() as uow:
            return [_info(row, now) for row in uow.schedules.enabled(channel_id)]

    def get(self, schedule_id: int) -> ScheduleInfo | None:
        with self._db.reading() as uow:
            row = uow.schedules.get(schedule_id)
            return _info(row, self._clock()) if row else None

    def disable(self, schedule_id: int, user: str, channel_id: str | None = None) -> ScheduleInfo:
        """Turn a schedule off (idempotent); with `channel_id`, only that channel's."""
        self.authorize(user)
        now = self._clock()
        with self._db.transaction() as uow:
            row = uow.schedules.lock(schedule_id)
            if row is None or (channel_id is not None and row.channel_id != channel_id):
                raise ScheduleNotFound(schedule_id)
            if row.enabled:
                row.enabled = False
                row.updated_at = now
                uow.audit.record(
                    actor=user,
                    action="schedule.disabled",
                    subject_type="schedule",
                    subject_id=row.id,
                    at=now,
                    channel_id=row.channel_id,
                )
            uow.flush()
            info = _info(row, now)
            uow.commit()
        return info

    def fingerprint(self) -> str:
        """Changes whenever an enabled schedule is added, removed or altered (any replica)."""
        with self._db.reading() as uow:
            rows = uow.schedules.timings()
        return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
