"""Whole-tracker queries for import and export: one query per table, never one per row."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select

from promisebot.db.models import Evidence, Promise, RatingChange, Tracker
from promisebot.db.repositories import Repository


class TrackerRepository(Repository):
    """Whole-tracker reads for import and export, and the import's bulk inserts."""

    def trackers_by_slug(self, slugs: Collection[str]) -> dict[str, Tracker]:
        """The named trackers, locked (PostgreSQL) so a concurrent import waits for this one."""
        statement = select(Tracker).where(Tracker.slug.in_(slugs)).with_for_update()
        return {tracker.slug: tracker for tracker in self._session.scalars(statement)}

    def promises_of(self, tracker_ids: Collection[int]) -> Sequence[Promise]:
        """Every promise of these trackers, locked against concurrent rating changes."""
        if not tracker_ids:
            return []
        statement = select(Promise).where(Promise.tracker_id.in_(tracker_ids)).with_for_update()
        return self._session.scalars(statement).all()

    def evidence_of(self, tracker_ids: Collection[int]) -> Sequence[Evidence]:
        if not tracker_ids:
            return []
        statement = (
            select(Evidence)
            .join(Promise, Evidence.promise_id == Promise.id)
            .where(Promise.tracker_id.in_(tracker_ids))
        )
        return self._session.scalars(statement).all()

    def all_promises(self) -> Sequence[Promise]:
        return self._session.scalars(select(Promise)).all()

    def all_evidence(self) -> Sequence[Evidence]:
        """In the order it was added (by id), which is the order an import file listed it."""
        return self._session.scalars(
            select(Evidence).order_by(Evidence.promise_id, Evidence.id)
        ).all()

    def all_rating_changes(self) -> Sequence[RatingChange]:
        """Append order (by id): each change starts where the previous one ended."""
        statement = select(RatingChange).order_by(RatingChange.promise_id, RatingChange.id)
        return self._session.scalars(statement).all()

    def insert_promises(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """One bulk INSERT; the new ids in the order of `rows`."""
        if not rows:
            return []
        statement = insert(Promise).returning(Promise.id, sort_by_parameter_order=True)
        return list(self._session.scalars(statement, rows).all())

    def insert_evidence(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._session.execute(insert(Evidence), rows)

    def insert_rating_changes(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._session.execute(insert(RatingChange), rows)
