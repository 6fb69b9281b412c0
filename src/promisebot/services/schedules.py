"""Reminder schedules: `remind here` / `remind list` / `remind off` as a service
(editors only, audited), with each schedule's next run in its own time zone."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from promisebot.db.models import ReminderSchedule
from promisebot.db.repositories.audit import AuditLog
from promisebot.db.repositories.promises import PromiseRepository
from promisebot.db.uow import Database
from promisebot.domain import Clock, DomainError, NotAnEditor
from promisebot.services.schedule_times import (
    USAGE,
    Cadence,
    InvalidSchedule,
    ScheduleSpec,
    describe_days,
    parse_days,
    parse_schedule_id,
    parse_schedule_spec,
)
from promisebot.settings import Settings

__all__ = [
    "USAGE",
    "Cadence",
    "DuplicateSchedule",
    "InvalidSchedule",
    "ScheduleInfo",
    "ScheduleNotFound",
    "ScheduleService",
    "ScheduleSpec",
    "TooManySchedules",
    "UnknownTimezone",
    "UnknownTracker",
    "parse_schedule_id",
    "parse_schedule_spec",
]

MAX_SCHEDULES_PER_CHANNEL = 10


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


class UnknownTracker(DomainError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"There is no tracker called '{slug}'.")


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

    @property
    def cadence(self) -> Cadence:
        hour, minute = (int(part) for part in self.local_time.split(":"))
        return Cadence(frozenset(self.days), hour, minute, ZoneInfo(self.timezone))

    @property
    def description(self) -> str:
        """e.g. `Mon, Thu at 09:00 (America/New_York)`."""
        return f"{describe_days(self.days)} at {self.local_time} ({self.timezone})"


class ScheduleService:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, is_editor: Callable[[str], bool]
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._is_editor = is_editor

    def _info(self, row: ReminderSchedule, now: datetime) -> ScheduleInfo:
        days = parse_days(row.days_of_week)
        info = ScheduleInfo(
            id=row.id,
            channel_id=row.channel_id,
            days=days,
            local_time=row.local_time,
            timezone=row.timezone,
            threshold_days=row.stalled_after_days,
            tracker_id=row.tracker_id,
            tracker_slug=row.tracker.slug if row.tracker else None,
            enabled=row.enabled,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            next_run=None,
        )
        if not row.enabled:
            return info
        next_run = info.cadence.next_after(now).astimezone(ZoneInfo(row.timezone))
        return replace(info, next_run=next_run)

    def create(
        self,
        channel_id: str,
        user: str,
        spec: ScheduleSpec,
        tracker_slug: str | None = None,
        *,
        timezone: str | None = None,
    ) -> ScheduleInfo:
        if not self._is_editor(user):
            raise NotAnEditor("manage reminder schedules")
        zone = timezone or self._settings.timezone
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UnknownTimezone(zone) from None
        threshold = spec.threshold_days or self._settings.stalled_after_days
        now = self._clock()
        with self._db.transaction() as uow:
            session = uow.session
            tracker_id = None
            if tracker_slug:
                tracker = PromiseRepository(session).tracker_by_slug(tracker_slug)
                if tracker is None:
                    raise UnknownTracker(tracker_slug)
                tracker_id = tracker.id
            existing = session.scalars(
                select(ReminderSchedule).where(
                    ReminderSchedule.channel_id == channel_id, ReminderSchedule.enabled
                )
            ).all()
            for other in existing:
                if (other.days_of_week, other.local_time, other.timezone) == (
                    spec.days_text,
                    spec.time_text,
                    zone,
                ) and (other.stalled_after_days, other.tracker_id) == (threshold, tracker_id):
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
                created_by=user,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            AuditLog(session).record(
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
            )
            info = self._info(row, now)
            uow.commit()
        return info

    def list(self, channel_id: str | None = None) -> list[ScheduleInfo]:
        """Enabled schedules (of one channel, or all), each with its next run."""
        now = self._clock()
        with self._db.reading() as uow:
            statement = select(ReminderSchedule).where(ReminderSchedule.enabled)
            if channel_id is not None:
                statement = statement.where(ReminderSchedule.channel_id == channel_id)
            rows = uow.session.scalars(statement.order_by(ReminderSchedule.id)).all()
            return [self._info(row, now) for row in rows]

    def get(self, schedule_id: int) -> ScheduleInfo | None:
        with self._db.reading() as uow:
            row = uow.session.get(ReminderSchedule, schedule_id)
            return self._info(row, self._clock()) if row else None

    def disable(self, schedule_id: int, user: str, channel_id: str | None = None) -> ScheduleInfo:
        """Turn a schedule off (idempotent); with `channel_id`, only that channel's."""
        if not self._is_editor(user):
            raise NotAnEditor("manage reminder schedules")
        now = self._clock()
        with self._db.transaction() as uow:
            row = uow.session.get(ReminderSchedule, schedule_id, with_for_update=True)
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
            uow.session.flush()
            info = self._info(row, now)
            uow.commit()
        return info

    def fingerprint(self) -> str:
        """Changes whenever an enabled schedule is added, removed or altered (any replica)."""
        with self._db.reading() as uow:
            rows = uow.session.execute(
                select(
                    ReminderSchedule.id,
                    ReminderSchedule.days_of_week,
                    ReminderSchedule.local_time,
                    ReminderSchedule.timezone,
                    ReminderSchedule.updated_at,
                )
                .where(ReminderSchedule.enabled)
                .order_by(ReminderSchedule.id)
            ).all()
        return hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()[:16]
