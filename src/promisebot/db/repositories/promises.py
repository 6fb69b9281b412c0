"""Trackers and promises: look-ups by key, the search index's rows, lists by rating and of
overdue promises, rating counts and history, and the row lock taken before a rating changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Row, func, select
from sqlalchemy.orm import selectinload

from promisebot.db.models import AuditEvent, Promise, RatingChange, Tracker
from promisebot.db.repositories import Repository
from promisebot.domain import SETTLED_RATINGS, Rating

# The audit subject of an import: the only writer of promise titles, descriptions and tags.
TRACKER_FILE_SUBJECT = "tracker_file"


class PromiseRepository(Repository):
    """Trackers and promises by key; the promise row lock."""

    def tracker_by_slug(self, slug: str) -> Tracker | None:
        return self._session.scalars(select(Tracker).where(Tracker.slug == slug)).one_or_none()

    def all_trackers(self) -> Sequence[Tracker]:
        return self._session.scalars(select(Tracker).order_by(Tracker.slug)).all()

    def get(self, promise_id: int) -> Promise | None:
        return self._session.get(Promise, promise_id)

    def lock(self, promise_id: int) -> Promise | None:
        """Load a promise FOR UPDATE (PostgreSQL row lock; SQLite already holds the write lock)."""
        statement = (
            select(Promise)
            .where(Promise.id == promise_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self._session.scalars(statement).one_or_none()

    def by_ref(self, ref: str) -> Sequence[Promise]:
        """The promises a command's `<id>` names: `tracker/id`, or an id in any tracker
        (trackers loaded)."""
        tracker_slug, _, external_id = ref.rpartition("/")
        statement = (
            select(Promise)
            .join(Tracker)
            .where(Promise.external_id == external_id)
            .options(selectinload(Promise.tracker))
        )
        if tracker_slug:
            statement = statement.where(Tracker.slug == tracker_slug)
        return self._session.scalars(statement).all()

    def overdue(
        self, today: date, tracker_id: int | None, limit: int
    ) -> tuple[Sequence[Promise], int]:
        """Unsettled promises whose deadline is before `today`, most overdue first (trackers
        loaded), and how many there are."""
        statement = select(Promise).where(
            Promise.due_on < today, Promise.current_rating.not_in(SETTLED_RATINGS)
        )
        if tracker_id is not None:
            statement = statement.where(Promise.tracker_id == tracker_id)
        total = self._session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = self._session.scalars(
            statement.order_by(Promise.due_on, Promise.id)
            .limit(limit)
            .options(selectinload(Promise.tracker))
        ).all()
        return rows, total or 0

    def searchable_text_version(self) -> tuple[int, int, int]:
        """Changes whenever a promise's searchable text may have changed (a promise added, or an
        import that changed something); rating changes and reviews leave it alone."""
        count, newest = self._session.execute(
            select(func.count(Promise.id), func.max(Promise.id))
        ).one()
        last_import = self._session.scalar(
            select(func.max(AuditEvent.id)).where(AuditEvent.subject_type == TRACKER_FILE_SUBJECT)
        )
        return int(count), int(newest or 0), int(last_import or 0)

    def search_rows(self) -> Sequence[Row[int, str, str, str, str, list[str] | None]]:
        """(id, tracker slug, external id, title, description, tags) of every promise."""
        statement = select(
            Promise.id,
            Tracker.slug,
            Promise.external_id,
            Promise.title,
            Promise.description,
            Promise.tags,
        ).join(Tracker)
        return self._session.execute(statement).all()

    def with_trackers(self, promise_ids: Sequence[int]) -> dict[int, Promise]:
        """The promises by id, their trackers loaded."""
        if not promise_ids:
            return {}
        statement = (
            select(Promise)
            .where(Promise.id.in_(promise_ids))
            .options(selectinload(Promise.tracker))
        )
        return {promise.id: promise for promise in self._session.scalars(statement)}

    def by_rating(
        self, rating: Rating, tracker_id: int | None, limit: int
    ) -> tuple[Sequence[Promise], int]:
        """Promises holding the rating longest first (trackers loaded), and how many hold it."""
        statement = select(Promise).where(Promise.current_rating == rating)
        if tracker_id is not None:
            statement = statement.where(Promise.tracker_id == tracker_id)
        total = self._session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = self._session.scalars(
            statement.order_by(Promise.rated_at, Promise.id)
            .limit(limit)
            .options(selectinload(Promise.tracker))
        ).all()
        return rows, total or 0

    def rating_counts(self, tracker_ids: Sequence[int]) -> dict[int, dict[Rating, int]]:
        """tracker id → rating → number of promises; ratings nobody holds are left out."""
        if not tracker_ids:
            return {}
        statement = (
            select(Promise.tracker_id, Promise.current_rating, func.count())
            .where(Promise.tracker_id.in_(tracker_ids))
            .group_by(Promise.tracker_id, Promise.current_rating)
        )
        counts: dict[int, dict[Rating, int]] = {}
        for tracker_id, rating, count in self._session.execute(statement):
            counts.setdefault(tracker_id, {})[rating] = count
        return counts

    def latest_rating_changes(self, promise_id: int, limit: int) -> Sequence[RatingChange]:
        statement = (
            select(RatingChange)
            .where(RatingChange.promise_id == promise_id)
            .order_by(RatingChange.effective_at.desc(), RatingChange.id.desc())
            .limit(limit)
        )
        return self._session.scalars(statement).all()

    def rating_change_count(self, promise_id: int) -> int:
        statement = select(func.count()).where(RatingChange.promise_id == promise_id)
        return self._session.scalar(statement) or 0
