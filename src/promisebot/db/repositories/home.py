"""Queries only the App Home dashboard makes: trackers by size, the longest-stalled promises
and the latest rating changes (rating counts and review queues come from their aggregates).

Every query is capped (LIMIT) or aggregated, so the dashboard costs the same at any size.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, select

from promisebot.db.models import Promise, RatingChange, Tracker
from promisebot.db.repositories import Repository
from promisebot.domain import Rating


class DashboardQueries(Repository):
    """Capped and aggregated reads for App Home."""

    def largest_trackers(self, limit: int) -> Sequence[Row[int, str, str, str, int]]:
        """(id, slug, name, subject, promise count), most promises first."""
        count = func.count(Promise.id)
        statement = (
            select(Tracker.id, Tracker.slug, Tracker.name, Tracker.subject, count)
            .outerjoin(Promise, Promise.tracker_id == Tracker.id)
            .group_by(Tracker.id, Tracker.slug, Tracker.name, Tracker.subject)
            .order_by(count.desc(), Tracker.slug)
            .limit(limit)
        )
        return self._session.execute(statement).all()

    def tracker_count(self) -> int:
        return self._session.scalar(select(func.count(Tracker.id))) or 0

    def longest_stalled(self, limit: int) -> Sequence[Row[Promise, str]]:
        """(promise, tracker slug) for Stalled promises, stalled longest first."""
        statement = (
            select(Promise, Tracker.slug)
            .join(Tracker)
            .where(Promise.current_rating == Rating.STALLED)
            .order_by(Promise.rated_at, Promise.id)
            .limit(limit)
        )
        return self._session.execute(statement).all()

    def stalled_count(self) -> int:
        statement = select(func.count(Promise.id)).where(Promise.current_rating == Rating.STALLED)
        return self._session.scalar(statement) or 0

    def latest_changes(self, limit: int) -> Sequence[Row[RatingChange, str, str, str]]:
        """(change, promise external id, promise title, tracker slug), newest first."""
        statement = (
            select(RatingChange, Promise.external_id, Promise.title, Tracker.slug)
            .join(Promise, RatingChange.promise_id == Promise.id)
            .join(Tracker, Promise.tracker_id == Tracker.id)
            .order_by(RatingChange.effective_at.desc(), RatingChange.id.desc())
            .limit(limit)
        )
        return self._session.execute(statement).all()
