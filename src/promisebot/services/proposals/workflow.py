"""The in-transaction steps of a proposal: open, record a review, close, apply an approved
change. Each persists what the domain's ProposalState decided; callers hold the promise's
row lock and then the proposal's, and nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from promisebot import changes
from promisebot.db.models import Evidence, Promise, Proposal, RatingChange, Review
from promisebot.db.uow import UnitOfWork
from promisebot.domain import (
    SYSTEM_ACTOR,
    Outcome,
    ProposalState,
    ProposalStatus,
    Rating,
    Verdict,
)


def state_of(proposal: Proposal, reviews: Sequence[Review]) -> ProposalState:
    return ProposalState(
        proposer=proposal.proposed_by,
        from_rating=proposal.from_rating,
        to_rating=proposal.to_rating,
        approvals_required=proposal.approvals_required,
        status=proposal.status,
        verdicts={review.reviewer: review.verdict for review in reviews},
        senior_required=proposal.senior_required,
        seniors={review.reviewer for review in reviews if review.senior},
    )


def open_proposal(
    uow: UnitOfWork,
    promise: Promise,
    *,
    proposer: str,
    to_rating: Rating,
    rationale: str,
    links: list[str],
    effective_on: date | None,
    approvals_required: int,
    senior_required: bool,
    origin_channel: str | None,
    now: datetime,
) -> Proposal:
    """A new open proposal against the promise's current rating (the staleness snapshot)."""
    proposal = Proposal(
        promise_id=promise.id,
        from_rating=promise.current_rating,
        to_rating=to_rating,
        rationale=rationale,
        evidence_links=links,
        effective_on=effective_on,
        proposed_by=proposer,
        approvals_required=approvals_required,
        senior_required=senior_required,
        status=ProposalStatus.OPEN,
        created_at=now,
    )
    uow.add(proposal)
    uow.flush()
    uow.audit.record(
        actor=proposer,
        action="proposal.propose",
        subject_type="proposal",
        subject_id=proposal.id,
        at=now,
        promise_id=promise.id,
        from_rating=proposal.from_rating.value,
        to_rating=to_rating.value,
        rationale=rationale,
        links=links,
        effective_on=effective_on.isoformat() if effective_on else None,
        approvals_required=approvals_required,
        senior_required=senior_required,
        origin_channel=origin_channel,
    )
    uow.outbox.add(
        changes.proposal_opened(
            promise.id,
            actor=proposer,
            at=now,
            proposal_id=proposal.id,
            from_rating=proposal.from_rating.value,
            to_rating=to_rating.value,
            rationale=rationale,
        )
    )
    return proposal


def record_review(
    uow: UnitOfWork,
    proposal: Proposal,
    *,
    reviewer: str,
    verdict: Verdict,
    senior: bool,
    comment: str,
    outcome: Outcome,
    now: datetime,
) -> None:
    uow.proposals.save_review(
        proposal_id=proposal.id,
        reviewer=reviewer,
        verdict=verdict,
        senior=senior,
        comment=comment,
        at=now,
    )
    uow.audit.record(
        actor=reviewer,
        action="proposal.review",
        subject_type="proposal",
        subject_id=proposal.id,
        at=now,
        verdict=verdict.value,
        senior=senior,
        comment=comment,
        outcome=outcome.value,
    )


def close(
    uow: UnitOfWork,
    proposal: Proposal,
    state: ProposalState,
    decided_by: str | None,
    now: datetime,
    *,
    actor: str | None = None,
    **details: object,
) -> None:
    """Persist the closed status the state machine reached, with its audit event."""
    proposal.status = state.status
    proposal.decided_at = now
    proposal.decided_by = decided_by
    uow.audit.record(
        actor=actor or decided_by or SYSTEM_ACTOR,
        action=f"proposal.{state.status.value}",
        subject_type="proposal",
        subject_id=proposal.id,
        at=now,
        **details,
    )
    if state.status is not ProposalStatus.APPROVED:  # an approval is news as a rating change
        uow.outbox.add(
            changes.proposal_closed(
                proposal.promise_id,
                actor=actor or decided_by or SYSTEM_ACTOR,
                at=now,
                proposal_id=proposal.id,
                status=state.status.value,
                to_rating=proposal.to_rating.value,
            )
        )


@dataclass(slots=True)
class Applied:
    """The writes of an applied proposal (rows flushed, so ids are set)."""

    change: RatingChange
    evidence: list[Evidence]
    staled: list[tuple[Proposal, list[Review]]] = field(default_factory=list)


def apply_approved(
    uow: UnitOfWork,
    promise: Promise,
    proposal: Proposal,
    state: ProposalState,
    *,
    actor: str,
    now: datetime,
    tz: ZoneInfo,
) -> Applied | None:
    """Apply a proposal whose approvals are complete, or close it as stale (None) when the
    promise's rating is no longer the one it was proposed against."""
    if not state.apply(promise.current_rating):
        close(uow, proposal, state, actor, now, current=promise.current_rating.value)
        return None
    approvers = [user for user, verdict in state.verdicts.items() if verdict is Verdict.APPROVE]
    at = effective_at(proposal.effective_on, promise, now, tz)
    change = RatingChange(
        promise_id=promise.id,
        from_rating=proposal.from_rating,
        to_rating=proposal.to_rating,
        effective_at=at,
        rationale=proposal.rationale,
        proposed_by=proposal.proposed_by,
        approved_by=approvers,
        proposal_id=proposal.id,
        recorded_at=now,
    )
    known = uow.proposals.evidence_urls(promise.id)
    evidence = [
        Evidence(promise_id=promise.id, url=url, added_by=proposal.proposed_by, added_at=now)
        for url in proposal.evidence_links
        if url not in known
    ]
    uow.add(change)
    uow.add_all(evidence)
    promise.current_rating = proposal.to_rating
    promise.rated_at = at
    promise.last_reviewed_at = now
    uow.catalog.touch_standings()
    close(uow, proposal, state, actor, now, approvers=approvers)
    uow.flush()
    uow.audit.record(
        actor=actor,
        action="promise.rating_change",
        subject_type="promise",
        subject_id=promise.id,
        at=now,
        rating_change_id=change.id,
        proposal_id=proposal.id,
        from_rating=change.from_rating.value,
        to_rating=change.to_rating.value,
        effective_at=at.isoformat(),
        proposed_by=proposal.proposed_by,
        approved_by=approvers,
    )
    uow.outbox.add(
        changes.rating_changed(
            promise.id,
            actor=actor,
            at=now,
            from_rating=change.from_rating.value,
            to_rating=change.to_rating.value,
            rationale=change.rationale,
            proposed_by=proposal.proposed_by,
            approved_by=approvers,
            proposal_id=proposal.id,
        )
    )
    for row in evidence:
        uow.audit.record(
            actor=proposal.proposed_by,
            action="evidence.add",
            subject_type="promise",
            subject_id=promise.id,
            at=now,
            evidence_id=row.id,
            url=row.url,
            proposal_id=proposal.id,
        )
    return Applied(change, evidence, _stale_others(uow, promise, proposal, actor, now))


def _stale_others(
    uow: UnitOfWork, promise: Promise, applied: Proposal, actor: str, now: datetime
) -> list[tuple[Proposal, list[Review]]]:
    """Every other open proposal on the promise was made against the old rating."""
    others = [p for p in uow.proposals.lock_open_on_promise(promise.id) if p.id != applied.id]
    reviews = uow.proposals.reviews_for_many([p.id for p in others])
    for other in others:
        state = state_of(other, reviews[other.id])
        state.mark_stale()
        close(uow, other, state, None, now, actor=actor, superseded_by=applied.id)
    return [(other, reviews[other.id]) for other in others]


def effective_at(
    effective_on: date | None, promise: Promise, now: datetime, tz: ZoneInfo
) -> datetime:
    """Noon of the effective day in the newsroom, kept between the last change and now so
    the history stays in order."""
    if effective_on is None:
        return now
    noon = datetime.combine(effective_on, time(12), tzinfo=tz).astimezone(UTC)
    return min(max(noon, promise.rated_at), now)
