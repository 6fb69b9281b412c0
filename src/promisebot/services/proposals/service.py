"""ProposalService: propose, review, withdraw, expire, and the reads that render a proposal.
Lock order everywhere: the promise row, then the proposal row(s), so concurrent reviewers
of one promise queue and each decision sees every review committed before it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

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

PROPOSE = "propose rating changes"


class ProposalService:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, permissions: Permissions
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._permissions = permissions

    # -- proposing -------------------------------------------------------------------------

    def check_may_propose(self, user: str) -> None:
        """Raise NotAnEditor unless the user may propose (asked before a form opens whose
        promise is not chosen yet, so nobody fills one in only to be refused)."""
        self._permissions.require_editor(user, PROPOSE)

    def draft(self, promise_id: int, user: str) -> ProposalDraft:
        """What the propose modal offers; editors only."""
        self.check_may_propose(user)
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                draft = self._draft(uow, promise_id, user)
        return draft

    def _draft(self, uow: UnitOfWork, promise_id: int, user: str) -> ProposalDraft:
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
        for attempt in self._db.attempts():
            with attempt as uow:
                # Locked so the from_rating snapshot and the duplicate check cannot race.
                promise = uow.promises.lock(promise_id)
                if promise is None:
                    raise PromiseNotFound()
                duplicate = uow.proposals.open_duplicate(
                    promise_id=promise_id, proposer=user, to_rating=to_rating
                )
                if uow.after_unknown_commit and duplicate and duplicate.created_at == now:
                    # The first attempt's COMMIT did land: this is that proposal, not a twin.
                    view = self._view(uow, duplicate, [], origin_channel=origin_channel)
                    break
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
                if "rating" not in errors and duplicate:
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
                    post_channel=self._settings.review_channel or origin_channel or user,
                    origin_channel=origin_channel,
                    now=now,
                )
                view = self._view(uow, proposal, [], origin_channel=origin_channel)
                uow.commit()
        return view

    def attach_message(self, proposal_id: int, channel_id: str, ts: str) -> ProposalView:
        """Record the thread root the Slack layer posted (or found again by its metadata).

        The first root recorded wins: when another process (a replica's root sweep, or the
        original post) got there first, the view names that root, not `ts`."""
        now = self._clock()
        for attempt in self._db.attempts():
            with attempt as uow:
                proposal = uow.proposals.lock(proposal_id)
                if proposal is None:
                    raise ProposalNotFound()
                if proposal.message_ts is None:
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

    def unposted(self, created_after: datetime, created_before: datetime) -> list[ProposalView]:
        """Open proposals created in the window whose thread root was never recorded."""
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                views = [
                    self._view(uow, proposal, uow.proposals.reviews_of(proposal.id))
                    for proposal in uow.proposals.open_without_message(
                        created_after, created_before
                    )
                ]
        return views

    def last_channel(self, user: str) -> str | None:
        """Where `user`'s latest posted proposal went."""
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                channel = uow.proposals.last_channel_of(user)
        return channel

    def check_can_post(self, proposal_id: int, user: str) -> ProposalView:
        """The proposal, if `user` (its proposer) may have its unposted root posted now;
        writes nothing (`attach_message` records the post)."""
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                proposal = uow.proposals.get(proposal_id)
                if proposal is None:
                    raise ProposalNotFound()
                if proposal.proposed_by != user:
                    raise DomainError("Only the proposer can post this proposal for review.")
                if proposal.status is not ProposalStatus.OPEN:
                    raise ProposalClosed(proposal.status)
                view = self._view(uow, proposal, uow.proposals.reviews_of(proposal_id))
        return view

    # -- reviewing -------------------------------------------------------------------------

    def check_can_review(self, proposal_id: int, reviewer: str) -> ProposalView:
        """The proposal, if `reviewer` may review it now; raises the rule's DomainError
        otherwise. Writes nothing: `review` checks again when the verdict comes."""
        is_editor = self._permissions.is_editor(reviewer)
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                proposal = uow.proposals.get(proposal_id)
                if proposal is None:
                    raise ProposalNotFound()
                reviews = uow.proposals.reviews_of(proposal_id)
                state_of(proposal, reviews).check_reviewer(reviewer, is_editor=is_editor)
                view = self._view(uow, proposal, reviews)
        return view

    def review(
        self, *, proposal_id: int, reviewer: str, verdict: Verdict, comment: str = ""
    ) -> ReviewResult:
        """Approve or reject; the approval that completes the requirement (enough approvals,
        one of them a senior's when the proposal needs it) applies the change."""
        comment = checked_comment(comment)
        # Asked before the transaction: it may call Slack, and no row lock waits on Slack.
        is_editor = self._permissions.is_editor(reviewer)
        is_senior = self._permissions.is_senior(reviewer)
        for attempt in self._db.attempts():
            with attempt as uow:
                landed = uow.after_unknown_commit
                result = self._review(
                    uow, proposal_id, reviewer, verdict, comment, is_editor, is_senior, landed
                )
                uow.commit()
        return result

    def review_reply(
        self,
        *,
        channel_id: str,
        thread_ts: str,
        user: str,
        verdict: Verdict,
        reason: str = "",
        event_id: str | None = None,
    ) -> ReviewResult | None:
        """A review asked for in a thread: None when the thread is not a proposal's, or when
        this Slack event (`event_id`) was handled before.

        The event id is claimed in the review's own transaction, so a redelivery counts once
        and a delivery whose review failed is not mistaken for a handled one."""
        comment = checked_comment(reason)
        is_editor = self._permissions.is_editor(user)
        is_senior = self._permissions.is_senior(user)
        for attempt in self._db.attempts():
            with attempt as uow:
                proposal_id = uow.proposals.id_at_message(channel_id, thread_ts)
                if proposal_id is None:
                    return None
                first = event_id is None or uow.events.first_delivery(event_id, self._clock())
                # Without an event id, only the review itself can say if a lost COMMIT landed.
                landed = uow.after_unknown_commit and (event_id is None or not first)
                if not first and not landed:
                    return None  # a redelivery of an event handled already
                result = self._review(
                    uow, proposal_id, user, verdict, comment, is_editor, is_senior, landed
                )
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
        may_have_landed: bool,
    ) -> ReviewResult:
        """`may_have_landed`: an earlier attempt of this very review lost its COMMIT's answer."""
        promise, proposal = self._lock(uow, proposal_id)
        reviews = uow.proposals.reviews_of(proposal_id)
        if may_have_landed:
            replayed = self._replay(uow, proposal, reviews, reviewer, verdict)
            if replayed is not None:
                return replayed
        state = state_of(proposal, reviews)
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

    def _replay(
        self,
        uow: UnitOfWork,
        proposal: Proposal,
        reviews: Sequence[Review],
        reviewer: str,
        verdict: Verdict,
    ) -> ReviewResult | None:
        """After a COMMIT whose answer was lost: if the review is in the database, what it
        did then (so an approval that applied the change is answered as such, not as
        "already approved"); None when it is not, and the review must be made now."""
        if not any(r.reviewer == reviewer and r.verdict is verdict for r in reviews):
            return None
        decided_here = proposal.decided_by == reviewer
        if decided_here and proposal.status is ProposalStatus.REJECTED:
            outcome = Outcome.REJECTED
        elif decided_here and proposal.status in (ProposalStatus.APPROVED, ProposalStatus.STALE):
            outcome = Outcome.APPLY
        elif proposal.status is ProposalStatus.OPEN:
            outcome = Outcome.RECORDED
        else:
            return None  # closed by someone else since: the review answers that now
        view = self._view(uow, proposal, reviews)
        staled = (
            uow.proposals.staled_by(proposal.id)
            if proposal.status is ProposalStatus.APPROVED
            else []
        )
        added = uow.proposals.evidence_added_by(proposal.id) if view.rating_change else []
        staled_reviews = uow.proposals.reviews_for_many([p.id for p in staled])
        return ReviewResult(
            proposal=view,
            outcome=outcome,
            reviewer=reviewer,
            verdict=verdict,
            approvals=view.approvals,
            required=proposal.approvals_required,
            applied_change=view.rating_change,
            staled=tuple(self._view(uow, p, staled_reviews[p.id]) for p in staled),
            added_evidence=tuple(AddedEvidence(e.id, e.url) for e in added),
        )

    # -- closing without a review ----------------------------------------------------------

    def withdraw(self, *, proposal_id: int, user: str) -> ProposalView:
        """Only the proposer may withdraw, and only while the proposal is open."""
        now = self._clock()
        for attempt in self._db.attempts():
            with attempt as uow:
                _, proposal = self._lock(uow, proposal_id)
                reviews = uow.proposals.reviews_of(proposal_id)
                if uow.after_unknown_commit and proposal.status is ProposalStatus.WITHDRAWN:
                    view = self._view(uow, proposal, reviews)  # the lost COMMIT did land
                    break
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
        for attempt in self._db.attempts():
            with attempt as uow:
                expired: list[ProposalView] = []
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
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                proposal = uow.proposals.get(proposal_id)
                if proposal is None:
                    raise ProposalNotFound()
                view = self._view(uow, proposal, uow.proposals.reviews_of(proposal_id))
        return view

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
