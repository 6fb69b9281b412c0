"""Queries behind the App Home dashboard: trackers by size, rating counts, the longest-stalled
promises, the latest rating changes and the proposals a reviewer has not answered yet.

Every query is capped (LIMIT) or aggregated, so the dashboard costs the same at any size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, exists, func, select

from promisebot.db.models import Promise, Proposal, RatingChange, Review, Tracker
from promisebot.db.repositories import Repository
from promisebot.domain import ProposalStatus, Rating, Verdict


def _awaiting_filter(user: str) -> tuple[Any, ...]:
    answered = exists().where(Review.proposal_id == Proposal.id, Review.reviewer == user)
    return (Proposal.status == ProposalStatus.OPEN, Proposal.proposed_by != user, ~answered)


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

    def rating_counts(self, tracker_ids: Sequence[int]) -> dict[int, dict[Rating, int]]:
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

    def awaiting_review(self, user: str, limit: int) -> Sequence[Row[Proposal, str, str, str]]:
        """(proposal, promise external id, promise title, tracker slug) for open proposals the
        user neither made nor reviewed yet, oldest first."""
        statement = (
            select(Proposal, Promise.external_id, Promise.title, Tracker.slug)
            .join(Promise, Proposal.promise_id == Promise.id)
            .join(Tracker, Promise.tracker_id == Tracker.id)
            .where(*_awaiting_filter(user))
            .order_by(Proposal.created_at, Proposal.id)
            .limit(limit)
        )
        return self._session.execute(statement).all()

    def awaiting_count(self, user: str) -> int:
        statement = select(func.count(Proposal.id)).where(*_awaiting_filter(user))
        return self._session.scalar(statement) or 0

    def approvals(self, proposal_ids: Sequence[int]) -> dict[int, int]:
        if not proposal_ids:
            return {}
        statement = (
            select(Review.proposal_id, func.count())
            .where(Review.proposal_id.in_(proposal_ids), Review.verdict == Verdict.APPROVE)
            .group_by(Review.proposal_id)
        )
        return {proposal_id: int(count) for proposal_id, count in self._session.execute(statement)}
