"""Whole-tracker queries for import and export: one query per table, never one per row."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from promisebot.db.models import Evidence, Promise, RatingChange, Tracker


def trackers_by_slug(session: Session, slugs: Collection[str]) -> dict[str, Tracker]:
    """The named trackers, locked (PostgreSQL) so a concurrent import waits for this one."""
    statement = select(Tracker).where(Tracker.slug.in_(slugs)).with_for_update()
    return {tracker.slug: tracker for tracker in session.scalars(statement)}


def promises_of(session: Session, tracker_ids: Collection[int]) -> Sequence[Promise]:
    """Every promise of these trackers, locked against concurrent rating changes."""
    if not tracker_ids:
        return []
    statement = select(Promise).where(Promise.tracker_id.in_(tracker_ids)).with_for_update()
    return session.scalars(statement).all()


def evidence_of(session: Session, tracker_ids: Collection[int]) -> Sequence[Evidence]:
    if not tracker_ids:
        return []
    statement = (
        select(Evidence)
        .join(Promise, Evidence.promise_id == Promise.id)
        .where(Promise.tracker_id.in_(tracker_ids))
    )
    return session.scalars(statement).all()


def all_promises(session: Session) -> Sequence[Promise]:
    return session.scalars(select(Promise)).all()


def all_evidence(session: Session) -> Sequence[Evidence]:
    """In the order it was added (by id), which is the order an import file listed it."""
    return session.scalars(select(Evidence).order_by(Evidence.promise_id, Evidence.id)).all()


def all_rating_changes(session: Session) -> Sequence[RatingChange]:
    """Append order (by id): each change starts where the previous one ended."""
    statement = select(RatingChange).order_by(RatingChange.promise_id, RatingChange.id)
    return session.scalars(statement).all()
