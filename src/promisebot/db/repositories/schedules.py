"""Reminder schedule queries: the enabled schedules (of a channel, or all), one row locked
for a change, and the columns whose change means the scheduler must rebuild its jobs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from promisebot.db.models import ReminderSchedule
from promisebot.db.repositories import Repository


class ScheduleRepository(Repository):
    """ReminderSchedule rows."""

    def get(self, schedule_id: int) -> ReminderSchedule | None:
        return self._session.get(ReminderSchedule, schedule_id)

    def lock(self, schedule_id: int) -> ReminderSchedule | None:
        """The row, locked until the unit of work ends (SELECT … FOR UPDATE on PostgreSQL)."""
        return self._session.get(ReminderSchedule, schedule_id, with_for_update=True)

    def enabled(self, channel_id: str | None = None) -> Sequence[ReminderSchedule]:
        """Enabled schedules, of one channel or of all, oldest first."""
        statement = select(ReminderSchedule).where(ReminderSchedule.enabled)
        if channel_id is not None:
            statement = statement.where(ReminderSchedule.channel_id == channel_id)
        return self._session.scalars(statement.order_by(ReminderSchedule.id)).all()

    def timings(self) -> list[tuple[object, ...]]:
        """(id, days, local time, zone, updated_at) of every enabled schedule, by id."""
        statement = (
            select(
                ReminderSchedule.id,
                ReminderSchedule.days_of_week,
                ReminderSchedule.local_time,
                ReminderSchedule.timezone,
                ReminderSchedule.updated_at,
            )
            .where(ReminderSchedule.enabled)
            .order_by(ReminderSchedule.id)
        )
        return [tuple(row) for row in self._session.execute(statement)]
