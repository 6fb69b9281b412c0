"""Proposals and their reviews: look-ups, row locks, the review upsert, and the expiry query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from promisebot.db.models import Evidence, Promise, Proposal, RatingChange, Review
from promisebot.db.repositories import Repository
from promisebot.domain import ProposalStatus, Rating, Verdict

_WITH_PROMISE = (selectinload(Proposal.promise).selectinload(Promise.tracker),)


def _awaiting_review(user: str) -> tuple[Any, ...]:
    """Open proposals the user neither made nor reviewed yet."""
    reviewed = exists().where(Review.proposal_id == Proposal.id, Review.reviewer == user)
    return (Proposal.status == ProposalStatus.OPEN, Proposal.proposed_by != user, ~reviewed)


class ProposalRepository(Repository):
    """Proposals, their reviews and review queues."""

    def promise_id_of(self, proposal_id: int) -> int | None:
        """The proposal's promise, read without a lock: the first step of the lock order."""
        statement = select(Proposal.promise_id).where(Proposal.id == proposal_id)
        return self._session.scalars(statement).one_or_none()

    def id_at_message(self, channel_id: str, message_ts: str) -> int | None:
        statement = select(Proposal.id).where(
            Proposal.channel_id == channel_id, Proposal.message_ts == message_ts
        )
        return self._session.scalars(statement).one_or_none()

    def last_channel_of(self, proposer: str) -> str | None:
        """Where the proposer's latest posted proposal went (the propose modal's default)."""
        statement = (
            select(Proposal.channel_id)
            .where(Proposal.proposed_by == proposer, Proposal.channel_id.is_not(None))
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
            .limit(1)
        )
        return self._session.scalars(statement).first()

    def get(self, proposal_id: int) -> Proposal | None:
        statement = select(Proposal).where(Proposal.id == proposal_id).options(*_WITH_PROMISE)
        return self._session.scalars(statement).one_or_none()

    def lock(self, proposal_id: int) -> Proposal | None:
        """Load a proposal FOR UPDATE, refreshed from the row. Lock its promise first."""
        statement = (
            select(Proposal)
            .where(Proposal.id == proposal_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self._session.scalars(statement).one_or_none()

    def reviews_of(self, proposal_id: int) -> Sequence[Review]:
        statement = (
            select(Review)
            .where(Review.proposal_id == proposal_id)
            .order_by(Review.reviewed_at, Review.id)
            .execution_options(populate_existing=True)
        )
        return self._session.scalars(statement).all()

    def reviews_for_many(self, proposal_ids: Sequence[int]) -> dict[int, list[Review]]:
        grouped: dict[int, list[Review]] = {proposal_id: [] for proposal_id in proposal_ids}
        if not proposal_ids:
            return grouped
        statement = (
            select(Review)
            .where(Review.proposal_id.in_(proposal_ids))
            .order_by(Review.reviewed_at, Review.id)
        )
        for review in self._session.scalars(statement):
            grouped[review.proposal_id].append(review)
        return grouped

    def save_review(
        self,
        *,
        proposal_id: int,
        reviewer: str,
        verdict: Verdict,
        senior: bool,
        comment: str,
        at: datetime,
    ) -> None:
        """One row per (proposal, reviewer): a second verdict replaces the first, in one statement
        that cannot fail on the unique constraint even if a concurrent writer got there first."""
        statement = self._insert(Review).values(
            proposal_id=proposal_id,
            reviewer=reviewer,
            verdict=verdict,
            senior=senior,
            comment=comment,
            reviewed_at=at,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["proposal_id", "reviewer"],
            set_={
                "verdict": statement.excluded.verdict,
                "senior": statement.excluded.senior,
                "comment": statement.excluded.comment,
                "reviewed_at": statement.excluded.reviewed_at,
            },
        )
        self._session.execute(statement)

    def lock_open_on_promise(self, promise_id: int) -> Sequence[Proposal]:
        """Open proposals on a promise, locked; the caller holds the promise's lock already."""
        statement = (
            select(Proposal)
            .where(Proposal.promise_id == promise_id, Proposal.status == ProposalStatus.OPEN)
            .order_by(Proposal.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self._session.scalars(statement).all()

    def open_on_promise(self, promise_id: int) -> Sequence[Proposal]:
        statement = (
            select(Proposal)
            .where(Proposal.promise_id == promise_id, Proposal.status == ProposalStatus.OPEN)
            .order_by(Proposal.created_at, Proposal.id)
            .options(*_WITH_PROMISE)
        )
        return self._session.scalars(statement).all()

    def open_created_before(self, cutoff: datetime) -> Sequence[tuple[int, int]]:
        """(promise id, proposal id) of open proposals older than the cutoff, in lock order."""
        statement = (
            select(Proposal.promise_id, Proposal.id)
            .where(Proposal.status == ProposalStatus.OPEN, Proposal.created_at < cutoff)
            .order_by(Proposal.promise_id, Proposal.id)
        )
        return [
            (promise_id, proposal_id)
            for promise_id, proposal_id in self._session.execute(statement)
        ]

    def awaiting_review_by(self, user: str, limit: int) -> Sequence[Proposal]:
        """Open proposals the user neither made nor reviewed yet, oldest first."""
        statement = (
            select(Proposal)
            .where(*_awaiting_review(user))
            .order_by(Proposal.created_at, Proposal.id)
            .limit(limit)
            .options(*_WITH_PROMISE)
        )
        return self._session.scalars(statement).all()

    def awaiting_review_count(self, user: str) -> int:
        statement = select(func.count(Proposal.id)).where(*_awaiting_review(user))
        return self._session.scalar(statement) or 0

    def approval_counts(self, proposal_ids: Sequence[int]) -> dict[int, int]:
        """proposal id → approvals so far; proposals without any are left out."""
        if not proposal_ids:
            return {}
        statement = (
            select(Review.proposal_id, func.count())
            .where(Review.proposal_id.in_(proposal_ids), Review.verdict == Verdict.APPROVE)
            .group_by(Review.proposal_id)
        )
        return {proposal_id: int(count) for proposal_id, count in self._session.execute(statement)}

    def open_duplicate(
        self, *, promise_id: int, proposer: str, to_rating: Rating
    ) -> Proposal | None:
        """The proposer's own open proposal for the same change (a double-submitted modal)."""
        statement = (
            select(Proposal)
            .where(
                Proposal.promise_id == promise_id,
                Proposal.proposed_by == proposer,
                Proposal.to_rating == to_rating,
                Proposal.status == ProposalStatus.OPEN,
            )
            .limit(1)
        )
        return self._session.scalars(statement).first()

    def rating_change_of(self, proposal_id: int) -> RatingChange | None:
        statement = select(RatingChange).where(RatingChange.proposal_id == proposal_id)
        return self._session.scalars(statement).one_or_none()

    def evidence_urls(self, promise_id: int) -> set[str]:
        statement = select(Evidence.url).where(Evidence.promise_id == promise_id)
        return set(self._session.scalars(statement))
