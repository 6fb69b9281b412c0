"""Trackers and promises: look-ups by key, the search index's rows, lists by rating and of
overdue promises, rating counts and history, and the row lock taken before a rating changes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, func, select
from sqlalchemy.orm import selectinload

from promisebot.db.models import Promise, Proposal, RatingChange, Review, Tracker
from promisebot.db.repositories import Repository
from promisebot.domain import SETTLED_RATINGS, ProposalStatus, Rating, Verdict

# The audit subject of an import.
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

    def catalog_rows(
        self,
    ) -> Iterator[
        Row[int, str, str, str, str, list[str] | None, Rating, datetime, date | None, str]
    ]:
        """(id, tracker slug, external id, title, description, tags, rating, rated_at, due_on,
        due_label) of every promise by id, streamed (the search index is built from them)."""
        statement = (
            select(
                Promise.id,
                Tracker.slug,
                Promise.external_id,
                Promise.title,
                Promise.description,
                Promise.tags,
                Promise.current_rating,
                Promise.rated_at,
                Promise.due_on,
                Promise.due_label,
            )
            .join(Tracker)
            .order_by(Promise.id)
            .execution_options(yield_per=2000)
        )
        yield from self._session.execute(statement)

    def standing_rows(self) -> Iterator[Row[int, Rating, datetime, date | None, str]]:
        """(id, rating, rated_at, due_on, due_label) of every promise by id, streamed."""
        statement = (
            select(
                Promise.id,
                Promise.current_rating,
                Promise.rated_at,
                Promise.due_on,
                Promise.due_label,
            )
            .order_by(Promise.id)
            .execution_options(yield_per=5000)
        )
        yield from self._session.execute(statement)

    def tracker_names(self) -> dict[str, str]:
        """tracker slug → name."""
        rows = self._session.execute(select(Tracker.slug, Tracker.name)).all()
        return dict(rows)

    def card_rows(self, promise_id: int) -> Sequence[Row[*tuple[Any, ...]]]:
        """A card's promise, its tracker and its open proposals (oldest first, with their
        approvals so far) in one query: one row per open proposal, or one with the proposal
        columns None; no rows when there is no such promise."""
        approvals = (
            select(func.count())
            .where(Review.proposal_id == Proposal.id, Review.verdict == Verdict.APPROVE)
            .correlate(Proposal)
            .scalar_subquery()
        )
        statement = (
            select(
                Promise.id,
                Promise.external_id,
                Promise.title,
                Promise.description,
                Promise.tags,
                Promise.current_rating,
                Promise.rated_at,
                Promise.last_reviewed_at,
                Promise.snoozed_until,
                Promise.source_url,
                Promise.due_on,
                Promise.due_label,
                Tracker.slug.label("tracker"),
                Tracker.name.label("tracker_name"),
                Tracker.subject,
                Proposal.id.label("proposal_id"),
                Proposal.to_rating,
                Proposal.proposed_by,
                approvals.label("approvals"),
                Proposal.approvals_required,
                Proposal.senior_required,
                Proposal.channel_id,
                Proposal.message_ts,
                Proposal.created_at.label("proposed_at"),
            )
            .join(Tracker, Tracker.id == Promise.tracker_id)
            .outerjoin(
                Proposal,
                and_(Proposal.promise_id == Promise.id, Proposal.status == ProposalStatus.OPEN),
            )
            .where(Promise.id == promise_id)
            .order_by(Proposal.created_at, Proposal.id)
        )
        return self._session.execute(statement).all()

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

    def latest_rating_changes_with_total(
        self, promise_id: int, limit: int
    ) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
        """The card's history in one query: the latest `limit` changes (from_rating,
        to_rating, effective_at, rationale, proposed_by, approved_by, proposal_id) and how
        many there are."""
        statement = (
            select(
                RatingChange.from_rating,
                RatingChange.to_rating,
                RatingChange.effective_at,
                RatingChange.rationale,
                RatingChange.proposed_by,
                RatingChange.approved_by,
                RatingChange.proposal_id,
                func.count().over().label("total"),
            )
            .where(RatingChange.promise_id == promise_id)
            .order_by(RatingChange.effective_at.desc(), RatingChange.id.desc())
            .limit(limit)
        )
        rows = self._session.execute(statement).all()
        return rows, rows[0].total if rows else 0
