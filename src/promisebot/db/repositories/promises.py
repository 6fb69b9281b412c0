"""Trackers and promises: look-ups by key, and the row lock taken before a rating changes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from promisebot.db.models import AuditEvent, Promise, Tracker
from promisebot.db.repositories import Repository

# The audit subject of an import: the only writer of promise titles, descriptions and tags.
TRACKER_FILE_SUBJECT = "tracker_file"


class PromiseRepository(Repository):
    """Trackers and promises by key; the promise row lock."""

    def tracker_by_slug(self, slug: str) -> Tracker | None:
        return self._session.scalars(select(Tracker).where(Tracker.slug == slug)).one_or_none()

    def all_trackers(self) -> Sequence[Tracker]:
        return self._session.scalars(select(Tracker).order_by(Tracker.slug)).all()

    def get_promise(self, promise_id: int) -> Promise | None:
        return self._session.get(Promise, promise_id)

    def lock_promise(self, promise_id: int) -> Promise | None:
        """Load a promise FOR UPDATE (PostgreSQL row lock; SQLite already holds the write lock)."""
        statement = (
            select(Promise)
            .where(Promise.id == promise_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self._session.scalars(statement).one_or_none()

    def promises_by_external_id(self, external_id: str) -> Sequence[Promise]:
        return self._session.scalars(
            select(Promise).where(Promise.external_id == external_id)
        ).all()

    def promise_by_key(self, tracker_slug: str, external_id: str) -> Promise | None:
        statement = (
            select(Promise)
            .join(Tracker)
            .where(Tracker.slug == tracker_slug, Promise.external_id == external_id)
        )
        return self._session.scalars(statement).one_or_none()

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
