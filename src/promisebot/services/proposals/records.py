"""What the proposal service hands its callers: frozen read models (enough to render or
re-render a proposal's root, acknowledgements and announcement), its errors, and the field
checks behind InvalidProposal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from promisebot.db.models import Proposal, RatingChange, Review
from promisebot.domain import (
    COMMENT_MAX,
    Deadline,
    DomainError,
    Outcome,
    ProposalStatus,
    Rating,
    Verdict,
)


class InvalidProposal(DomainError):
    """Field problems; `errors` maps a field to its message so a modal can show each one
    beside its input. Fields: rating, rationale, links, effective_on (and comment, for a
    review's reason)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class ProposalNotFound(DomainError):
    def __init__(self) -> None:
        super().__init__("That proposal could not be found; it may have been removed.")


def effective_date_problems(
    effective_on: date | None, rated_at: datetime, now: datetime, tz: ZoneInfo
) -> dict[str, str]:
    """An effective date lies between the current rating's day and today, newsroom time."""
    if effective_on is None:
        return {}
    if effective_on > now.astimezone(tz).date():
        return {"effective_on": "The effective date can't be in the future."}
    since = rated_at.astimezone(tz).date()
    if effective_on < since:
        return {
            "effective_on": f"The effective date can't be before {since:%b} {since.day}, "
            f"{since.year}, when the current rating took effect."
        }
    return {}


def checked_comment(comment: str) -> str:
    """A review's reason, stripped; too long is a field error rather than a silent cut."""
    text = comment.strip()
    if len(text) > COMMENT_MAX:
        raise InvalidProposal({"comment": f"Keep the reason under {COMMENT_MAX} characters."})
    return text


@dataclass(frozen=True, slots=True)
class ProposalDraft:
    """What the propose modal needs."""

    promise_id: int
    external_id: str
    title: str
    tracker_slug: str
    tracker_name: str
    current_rating: Rating
    choices: tuple[Rating, ...]  # every rating but the current one, in scale order
    rated_at: datetime  # an effective date may not be earlier than this (local) day
    approvals_required: int
    senior_required_for: tuple[Rating, ...]  # target ratings that need a senior's approval
    open_proposals: int
    last_channel: str | None = None  # where the proposer's last proposal was posted


@dataclass(frozen=True, slots=True)
class RatingChangeView:
    id: int
    promise_id: int
    proposal_id: int | None
    from_rating: Rating
    to_rating: Rating
    effective_at: datetime
    rationale: str
    proposed_by: str
    approved_by: tuple[str, ...]
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ProposalView:
    id: int
    promise_id: int
    promise_external_id: str
    promise_title: str
    tracker_slug: str
    tracker_name: str
    current_rating: Rating  # the promise's rating when this view was read
    from_rating: Rating
    to_rating: Rating
    rationale: str
    links: tuple[str, ...]
    effective_on: date | None
    proposed_by: str
    approvals_required: int
    senior_required: bool  # one of the approvals must be a senior editor's
    status: ProposalStatus
    approvers: tuple[str, ...]  # in the order they approved
    senior_approvers: tuple[str, ...]  # the approvers who approved as senior editors
    rejected_by: str | None
    rejection_reason: str
    channel_id: str | None  # where the thread root is, once attached
    message_ts: str | None
    post_channel: str | None  # where to post the root: its channel, else review/origin
    created_at: datetime
    expires_at: datetime  # when an open proposal expires
    decided_at: datetime | None
    decided_by: str | None
    rating_change: RatingChangeView | None  # set once approved
    deadline: Deadline | None  # the promise's, as of when this view was read

    @property
    def approvals(self) -> int:
        return len(self.approvers)

    @property
    def waiting_for_senior(self) -> bool:
        """Still open only because no senior editor has approved yet."""
        return (
            self.is_open
            and self.senior_required
            and not self.senior_approvers
            and self.approvals >= self.approvals_required
        )

    @property
    def is_open(self) -> bool:
        return self.status is ProposalStatus.OPEN


@dataclass(frozen=True, slots=True)
class AddedEvidence:
    """An evidence row created from a proposal's links (its title may be fetched later)."""

    evidence_id: int
    url: str


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """What one review did. `outcome` APPLY means the approvals were reached: then either
    `applied_change` is set, or the promise had moved on and the proposal went stale."""

    proposal: ProposalView
    outcome: Outcome
    reviewer: str
    verdict: Verdict
    approvals: int
    required: int
    applied_change: RatingChangeView | None
    staled: tuple[ProposalView, ...]  # other open proposals closed because this one applied
    added_evidence: tuple[AddedEvidence, ...]

    @property
    def applied(self) -> bool:
        return self.applied_change is not None

    @property
    def went_stale(self) -> bool:
        return self.outcome is Outcome.APPLY and self.proposal.status is ProposalStatus.STALE


def rating_change_view(row: RatingChange) -> RatingChangeView:
    return RatingChangeView(
        id=row.id,
        promise_id=row.promise_id,
        proposal_id=row.proposal_id,
        from_rating=row.from_rating,
        to_rating=row.to_rating,
        effective_at=row.effective_at,
        rationale=row.rationale,
        proposed_by=row.proposed_by,
        approved_by=tuple(row.approved_by),
        recorded_at=row.recorded_at,
    )


def proposal_view(
    row: Proposal,
    reviews: Sequence[Review],
    *,
    ttl_days: int,
    post_channel: str | None,
    today: date,
    change: RatingChange | None = None,
) -> ProposalView:
    """Build a view inside the unit of work (it reads the promise and tracker); `today` is
    the newsroom's date, for the promise's deadline."""
    promise = row.promise
    approvals = [r for r in reviews if r.verdict is Verdict.APPROVE]
    rejection = next((r for r in reviews if r.verdict is Verdict.REJECT), None)
    closed_by_rejection = row.status is ProposalStatus.REJECTED and rejection is not None
    return ProposalView(
        id=row.id,
        promise_id=row.promise_id,
        promise_external_id=promise.external_id,
        promise_title=promise.title,
        tracker_slug=promise.tracker.slug,
        tracker_name=promise.tracker.name,
        current_rating=promise.current_rating,
        from_rating=row.from_rating,
        to_rating=row.to_rating,
        rationale=row.rationale,
        links=tuple(row.evidence_links),
        effective_on=row.effective_on,
        proposed_by=row.proposed_by,
        approvals_required=row.approvals_required,
        senior_required=row.senior_required,
        status=row.status,
        approvers=tuple(r.reviewer for r in approvals),
        senior_approvers=tuple(r.reviewer for r in approvals if r.senior),
        rejected_by=rejection.reviewer if closed_by_rejection and rejection else None,
        rejection_reason=rejection.comment if closed_by_rejection and rejection else "",
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        post_channel=row.channel_id or post_channel,
        created_at=row.created_at,
        expires_at=row.created_at + timedelta(days=ttl_days),
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        rating_change=rating_change_view(change) if change is not None else None,
        deadline=Deadline.of(promise.due_on, promise.due_label, promise.current_rating, today),
    )
