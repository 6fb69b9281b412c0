"""Digest queries: the still-stalled selection (one indexed query), the promises past their
deadline, and the DigestRun claim rows that make each scheduled digest exactly-once across
replicas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, CursorResult, and_, func, not_, or_, select, update

from promisebot.db.models import DigestRun, Evidence, Promise, ReminderSchedule, Tracker
from promisebot.db.repositories import Repository
from promisebot.domain import SETTLED_RATINGS, Rating


class DueRow(NamedTuple):
    id: int
    external_id: str
    title: str
    rated_at: datetime
    last_reviewed_at: datetime
    tracker_slug: str
    tracker_name: str
    latest_published_on: date | None
    latest_added_at: datetime | None
    total: int


class OverdueRow(NamedTuple):
    id: int
    external_id: str
    title: str
    rating: Rating
    due_on: date
    due_label: str
    tracker_slug: str
    tracker_name: str
    total: int


def _not_snoozed(now: datetime) -> ColumnElement[bool]:
    return or_(Promise.snoozed_until.is_(None), Promise.snoozed_until <= now)


def _still_stalled(reviewed_before: datetime) -> ColumnElement[bool]:
    # (current_rating, last_reviewed_at) is indexed for exactly this filter.
    return and_(
        Promise.current_rating == Rating.STALLED, Promise.last_reviewed_at < reviewed_before
    )


class DigestRepository(Repository):
    """The still-stalled selection and the DigestRun claim rows."""

    def due_promises(
        self,
        *,
        reviewed_before: datetime,
        now: datetime,
        tracker_id: int | None,
        limit: int,
    ) -> list[DueRow]:
        """Stalled, not reviewed since `reviewed_before`, not snoozed: longest-stalled first.

        Each row also carries its newest evidence dates and the total number of due promises.
        """
        latest_published = (
            select(func.max(Evidence.published_on))
            .where(Evidence.promise_id == Promise.id)
            .correlate(Promise)
            .scalar_subquery()
        )
        latest_added = (
            select(func.max(Evidence.added_at))
            .where(Evidence.promise_id == Promise.id)
            .correlate(Promise)
            .scalar_subquery()
        )
        statement = (
            select(
                Promise.id,
                Promise.external_id,
                Promise.title,
                Promise.rated_at,
                Promise.last_reviewed_at,
                Tracker.slug,
                Tracker.name,
                latest_published,
                latest_added,
                func.count().over(),
            )
            .join(Tracker, Tracker.id == Promise.tracker_id)
            .where(_still_stalled(reviewed_before), _not_snoozed(now))
            .order_by(Promise.rated_at, Promise.id)
            .limit(limit)
        )
        if tracker_id is not None:
            statement = statement.where(Promise.tracker_id == tracker_id)
        return [DueRow._make(row) for row in self._session.execute(statement)]

    def count_due(self, *, reviewed_before: datetime, now: datetime, tracker_id: int | None) -> int:
        """The total when `due_promises` returned no row to carry it."""
        statement = select(func.count()).where(_still_stalled(reviewed_before), _not_snoozed(now))
        if tracker_id is not None:
            statement = statement.where(Promise.tracker_id == tracker_id)
        return int(self._session.scalar(statement) or 0)

    def overdue_promises(
        self,
        *,
        today: date,
        reviewed_before: datetime,
        now: datetime,
        tracker_id: int | None,
        limit: int,
    ) -> list[OverdueRow]:
        """Past their deadline, not settled, not snoozed, and not already in the still-stalled
        selection (one digest lists a promise once): most overdue first. Each row carries
        the total."""
        statement = (
            select(
                Promise.id,
                Promise.external_id,
                Promise.title,
                Promise.current_rating,
                Promise.due_on,
                Promise.due_label,
                Tracker.slug,
                Tracker.name,
                func.count().over(),
            )
            .join(Tracker, Tracker.id == Promise.tracker_id)
            .where(
                Promise.due_on < today,
                Promise.current_rating.not_in(SETTLED_RATINGS),
                _not_snoozed(now),
                not_(_still_stalled(reviewed_before)),
            )
            .order_by(Promise.due_on, Promise.id)
            .limit(limit)
        )
        if tracker_id is not None:
            statement = statement.where(Promise.tracker_id == tracker_id)
        return [OverdueRow._make(row) for row in self._session.execute(statement)]

    def insert_claim(
        self, *, schedule_id: int, period_key: str, claimer: str, at: datetime
    ) -> int | None:
        """Insert the (schedule, period) row; None when it exists already."""
        keys: dict[str, object] = {"schedule_id": schedule_id, "period_key": period_key}
        run_id: int | None = self._insert_claim(DigestRun, keys, claimer, at)
        return run_id

    def take_over_claim(
        self,
        *,
        schedule_id: int,
        period_key: str,
        claimer: str,
        at: datetime,
        stale_before: datetime,
        own_before: datetime,
    ) -> tuple[int, int] | None:
        """Re-claim an unposted row whose claim is stale (or is our own and old enough).

        One conditional UPDATE: on PostgreSQL a concurrent taker waits for our row lock, then
        re-checks the condition against the new claimed_at and updates nothing.
        Returns (run id, attempt number) or None.
        """
        statement = (
            update(DigestRun)
            .where(
                DigestRun.schedule_id == schedule_id,
                DigestRun.period_key == period_key,
                DigestRun.posted_at.is_(None),
                or_(
                    DigestRun.claimed_at < stale_before,
                    and_(DigestRun.claimed_by == claimer, DigestRun.claimed_at < own_before),
                ),
            )
            .values(claimed_by=claimer, claimed_at=at, attempts=DigestRun.attempts + 1)
            .returning(DigestRun.id, DigestRun.attempts)
            .execution_options(synchronize_session=False)
        )
        row = self._session.execute(statement).one_or_none()
        return (row[0], row[1]) if row else None

    def mark_posted(
        self,
        run_id: int,
        *,
        at: datetime,
        channel_id: str,
        message_ts: str | None,
        item_count: int,
    ) -> bool:
        """Record the outcome once; False if the run was already recorded as posted."""
        statement = (
            update(DigestRun)
            .where(DigestRun.id == run_id, DigestRun.posted_at.is_(None))
            .values(
                posted_at=at, channel_id=channel_id, message_ts=message_ts, item_count=item_count
            )
            .execution_options(synchronize_session=False)
        )
        result = self._session.execute(statement)
        return isinstance(result, CursorResult) and result.rowcount == 1

    def unposted_runs(self, *, limit: int) -> Sequence[DigestRun]:
        """Claimed but never posted runs of enabled schedules, oldest claim first."""
        statement = (
            select(DigestRun)
            .join(ReminderSchedule, ReminderSchedule.id == DigestRun.schedule_id)
            .where(DigestRun.posted_at.is_(None), ReminderSchedule.enabled)
            .order_by(DigestRun.claimed_at, DigestRun.id)
            .limit(limit)
        )
        return self._session.scalars(statement).all()

    def run_for(self, schedule_id: int, period_key: str) -> DigestRun | None:
        statement = select(DigestRun).where(
            DigestRun.schedule_id == schedule_id, DigestRun.period_key == period_key
        )
        return self._session.scalars(statement).one_or_none()

    def run_at_message(self, channel_id: str, message_ts: str) -> DigestRun | None:
        statement = select(DigestRun).where(
            DigestRun.channel_id == channel_id, DigestRun.message_ts == message_ts
        )
        return self._session.scalars(statement).first()
