"""ProposalService: propose, review, withdraw, expire, and the reads that render a proposal.
Lock order everywhere: the promise row, then the proposal row(s), so concurrent reviewers
of one promise queue and each decision sees every review committed before it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from promisebot.db.models import Promise, Proposal, RatingChange, Review
from promisebot.db.uow import Database, UnitOfWork
from promisebot.domain import (
    SYSTEM_ACTOR,
    Clock,
    DomainError,
    Outcome,
    PromiseNotFound,
    ProposalClosed,
    ProposalStatus,
    Rating,
    Verdict,
    check_proposal,
    split_links,
)
from promisebot.services.permissions import Permissions
from promisebot.services.proposals.records import (
    AddedEvidence,
    InvalidProposal,
    ProposalDraft,
    ProposalNotFound,
    ProposalView,
    ReviewResult,
    checked_comment,
    effective_date_problems,
    proposal_view,
)
from promisebot.services.proposals.workflow import (
    Applied,
    apply_approved,
    close,
    open_proposal,
    record_review,
    state_of,
)
from promisebot.settings import Settings


class ProposalService:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, permissions: Permissions
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._permissions = permissions

    # -- proposing -------------------------------------------------------------------------

    def draft(self, promise_id: int, user: str) -> ProposalDraft:
        """What the propose modal offers; editors only."""
        self._permissions.require_editor(user, "propose rating changes")
        with self._db.reading() as uow:
            promise = uow.promises.get(promise_id)
            if promise is None:
                raise PromiseNotFound()
            return ProposalDraft(
                promise_id=promise.id,
                external_id=promise.external_id,
                title=promise.title,
                tracker_slug=promise.tracker.slug,
                tracker_name=promise.tracker.name,
                current_rating=promise.current_rating,
                choices=tuple(rating for rating in Rating if rating is not promise.current_rating),
                rated_at=promise.rated_at,
                approvals_required=self._settings.approvals_required,
                senior_required_for=tuple(
                    rating for rating in Rating if rating in self._settings.senior_required_for
                ),
                open_proposals=len(uow.proposals.open_on_promise(promise_id)),
                last_channel=uow.proposals.last_channel_of(user),
            )

    def propose(
        self,
        *,
        promise_id: int,
        user: str,
        to_rating: Rating,
        rationale: str,
        links_text: str,
        effective_on: date | None,
        origin_channel: str | None,
    ) -> ProposalView:
        """Store a proposal; the caller posts it to `post_channel` and calls attach_message."""
        is_editor = self._permissions.is_editor(user)
        links = list(dict.fromkeys(split_links(links_text)))
        now = self._clock()
        with self._db.transaction() as uow:
            # Locked so the from_rating snapshot and the duplicate check cannot race.
            promise = uow.promises.lock(promise_id)
            if promise is None:
                raise PromiseNotFound()
            errors = check_proposal(
                is_editor=is_editor,
                current=promise.current_rating,
                target=to_rating,
                rationale=rationale,
                links=links,
            )
            errors.update(
                effective_date_problems(effective_on, promise.rated_at, now, self._settings.tz)
            )
            if "rating" not in errors and uow.proposals.open_duplicate(
                promise_id=promise_id, proposer=user, to_rating=to_rating
            ):
                errors["rating"] = (
                    f"You already have an open proposal to rate this {to_rating.label}."
                )
            if errors:
                raise InvalidProposal(errors)
            proposal = open_proposal(
                uow,
                promise,
                proposer=user,
                to_rating=to_rating,
                rationale=rationale.strip(),
                links=links,
                effective_on=effective_on,
                approvals_required=self._settings.approvals_required,
                senior_required=to_rating in self._settings.senior_required_for,
                origin_channel=origin_channel,
                now=now,
            )
            view = self._view(uow, proposal, [], origin_channel=origin_channel)
            uow.commit()
        return view

    def attach_message(self, proposal_id: int, channel_id: str, ts: str) -> ProposalView:
        """Record the thread root the Slack layer posted (again, if it had to re-post)."""
        now = self._clock()
        with self._db.transaction() as uow:
            proposal = uow.proposals.get(proposal_id)
            if proposal is None:
                raise ProposalNotFound()
            if (proposal.channel_id, proposal.message_ts) != (channel_id, ts):
                proposal.channel_id, proposal.message_ts = channel_id, ts
                uow.audit.record(
                    actor=SYSTEM_ACTOR,
                    action="proposal.post",
                    subject_type="proposal",
                    subject_id=proposal_id,
                    at=now,
                    channel_id=channel_id,
                    message_ts=ts,
                )
                uow.flush()
            view = self._view(uow, proposal, uow.proposals.reviews_of(proposal_id))
            uow.commit()
        return view

    def last_channel(self, user: str) -> str | None:
        """Where `user`'s latest posted proposal went."""
        with self._db.reading() as uow:
            return uow.proposals.last_channel_of(user)

    def check_can_post(self, proposal_id: int, user: str) -> ProposalView:
        """The proposal, if `user` (its proposer) may have its unposted root posted now;
        writes nothing (`attach_message` records the post)."""
        with self._db.reading() as uow:
            proposal = uow.proposals.get(proposal_id)
            if proposal is None:
                raise ProposalNotFound()
            if proposal.proposed_by != user:
                raise DomainError("Only the proposer can post this proposal for review.")
            if proposal.status is not ProposalStatus.OPEN:
                raise ProposalClosed(proposal.status)
            return self._view(uow, proposal, uow.proposals.reviews_of(proposal_id))

    # -- reviewing -------------------------------------------------------------------------

    def check_can_review(self, proposal_id: int, reviewer: str) -> ProposalView:
        """The proposal, if `reviewer` may review it now; raises the rule's DomainError
        otherwise. Writes nothing: `review` checks again when the verdict comes."""
        is_editor = self._permissions.is_editor(reviewer)
        with self._db.reading() as uow:
            proposal = uow.proposals.get(proposal_id)
            if proposal is None:
                raise ProposalNotFound()
            reviews = uow.proposals.reviews_of(proposal_id)
            state_of(proposal, reviews).check_reviewer(reviewer, is_editor=is_editor)
            return self._view(uow, proposal, reviews)

    def review(
        self, *, proposal_id: int, reviewer: str, verdict: Verdict, comment: str = ""
    ) -> ReviewResult:
        """Approve or reject; the approval that completes the requirement (enough approvals,
        one of them a senior's when the proposal needs it) applies the change."""
        comment = checked_comment(comment)
        # Asked before the transaction: it may call Slack, and no row lock waits on Slack.
        is_editor = self._permissions.is_editor(reviewer)
        is_senior = self._permissions.is_senior(reviewer)
        with self._db.transaction() as uow:
            result = self._review(
                uow, proposal_id, reviewer, verdict, comment, is_editor, is_senior
            )
            uow.commit()
        return result

    def review_reply(
        self, *, channel_id: str, thread_ts: str, user: str, verdict: Verdict, reason: str = ""
    ) -> ReviewResult | None:
        """A review asked for in a thread: None when the thread is not a proposal's."""
        comment = checked_comment(reason)
        is_editor = self._permissions.is_editor(user)
        is_senior = self._permissions.is_senior(user)
        with self._db.transaction() as uow:
            proposal_id = uow.proposals.id_at_message(channel_id, thread_ts)
            if proposal_id is None:
                return None
            result = self._review(uow, proposal_id, user, verdict, comment, is_editor, is_senior)
            uow.commit()
        return result

    def _review(
        self,
        uow: UnitOfWork,
        proposal_id: int,
        reviewer: str,
        verdict: Verdict,
        comment: str,
        is_editor: bool,
        is_senior: bool,
    ) -> ReviewResult:
        promise, proposal = self._lock(uow, proposal_id)
        state = state_of(proposal, uow.proposals.reviews_of(proposal_id))
        outcome = state.review(reviewer, verdict, comment, is_editor=is_editor, is_senior=is_senior)
        now = self._clock()
        if outcome is not Outcome.UNCHANGED:
            record_review(
                uow,
                proposal,
                reviewer=reviewer,
                verdict=verdict,
                senior=is_senior,
                comment=comment,
                outcome=outcome,
                now=now,
            )
        applied: Applied | None = None
        if outcome is Outcome.REJECTED:
            close(uow, proposal, state, reviewer, now, reason=comment)
        elif outcome is Outcome.APPLY:
            applied = apply_approved(
                uow, promise, proposal, state, actor=reviewer, now=now, tz=self._settings.tz
            )
        uow.flush()
        reviews = uow.proposals.reviews_of(proposal_id)
        view = self._view(uow, proposal, reviews, change=applied.change if applied else None)
        return ReviewResult(
            proposal=view,
            outcome=outcome,
            reviewer=reviewer,
            verdict=verdict,
            approvals=state.approvals,
            required=proposal.approvals_required,
            applied_change=view.rating_change,
            staled=tuple(self._view(uow, p, r) for p, r in applied.staled) if applied else (),
            added_evidence=tuple(AddedEvidence(e.id, e.url) for e in applied.evidence)
            if applied
            else (),
        )

    # -- closing without a review ----------------------------------------------------------

    def withdraw(self, *, proposal_id: int, user: str) -> ProposalView:
        """Only the proposer may withdraw, and only while the proposal is open."""
        now = self._clock()
        with self._db.transaction() as uow:
            _, proposal = self._lock(uow, proposal_id)
            reviews = uow.proposals.reviews_of(proposal_id)
            state = state_of(proposal, reviews)
            state.withdraw(user)
            close(uow, proposal, state, user, now)
            uow.flush()
            view = self._view(uow, proposal, reviews)
            uow.commit()
        return view

    def expire_due(self) -> list[ProposalView]:
        """Expire open proposals older than the TTL; returns them so their roots can update."""
        now = self._clock()
        cutoff = now - timedelta(days=self._settings.proposal_ttl_days)
        expired: list[ProposalView] = []
        with self._db.transaction() as uow:
            # Ordered by promise: with several promise locks held, a fixed order avoids
            # deadlocks with another replica running the same job.
            for _, proposal_id in uow.proposals.open_created_before(cutoff):
                _, proposal = self._lock(uow, proposal_id)
                if proposal.status is not ProposalStatus.OPEN or proposal.created_at >= cutoff:
                    continue
                reviews = uow.proposals.reviews_of(proposal_id)
                state = state_of(proposal, reviews)
                state.expire()
                close(uow, proposal, state, None, now)
                expired.append(self._view(uow, proposal, reviews))
            uow.flush()
            uow.commit()
        return expired

    # -- reading ---------------------------------------------------------------------------

    def get(self, proposal_id: int) -> ProposalView:
        with self._db.reading() as uow:
            proposal = uow.proposals.get(proposal_id)
            if proposal is None:
                raise ProposalNotFound()
            return self._view(uow, proposal, uow.proposals.reviews_of(proposal_id))

    # -- helpers ---------------------------------------------------------------------------

    def _lock(self, uow: UnitOfWork, proposal_id: int) -> tuple[Promise, Proposal]:
        promise_id = uow.proposals.promise_id_of(proposal_id)
        promise = uow.promises.lock(promise_id) if promise_id is not None else None
        proposal = uow.proposals.lock(proposal_id) if promise is not None else None
        if promise is None or proposal is None:
            raise ProposalNotFound()
        return promise, proposal

    def _view(
        self,
        uow: UnitOfWork,
        proposal: Proposal,
        reviews: Sequence[Review],
        *,
        origin_channel: str | None = None,
        change: RatingChange | None = None,
    ) -> ProposalView:
        if change is None and proposal.status is ProposalStatus.APPROVED:
            change = uow.proposals.rating_change_of(proposal.id)
        return proposal_view(
            proposal,
            reviews,
            ttl_days=self._settings.proposal_ttl_days,
            post_channel=self._settings.review_channel or origin_channel,
            today=self._clock().astimezone(self._settings.tz).date(),
            change=change,
        )
