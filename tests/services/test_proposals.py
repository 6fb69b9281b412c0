"""ProposalService against the real database: proposing, reviewing, applying, closing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from promisebot.db.models import (
    AuditEvent,
    Evidence,
    Promise,
    Proposal,
    RatingChange,
    Review,
)
from promisebot.db.uow import Database
from promisebot.domain import (
    NotAnEditor,
    OnlyProposerMayWithdraw,
    Outcome,
    PromiseNotFound,
    ProposalClosed,
    ProposalStatus,
    Rating,
    RejectionNeedsReason,
    SelfReview,
    Verdict,
)
from promisebot.services.permissions import EditorDirectory, Permissions
from promisebot.services.proposals import (
    InvalidProposal,
    ProposalNotFound,
    ProposalService,
    ProposalView,
)
from promisebot.settings import load_settings
from tests.clock import FakeClock
from tests.factories import add_promise

RATED = datetime(2025, 1, 6, 17, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 3, 15, 30, tzinfo=UTC)  # 10:30 in New York
PROPOSER, ALICE, BOB, CAROL = "UPROPOSER", "UALICE", "UBOB", "UCAROL"
EDITORS = frozenset({PROPOSER, ALICE, BOB, CAROL})
OLD_URL = "https://news.example/2025/01/bill-filed"
NEW_URL = "https://news.example/2025/03/bill-dies"


# Rated and last reviewed at RATED, with one piece of evidence; the service runs at NOW.
make_promise = partial(
    add_promise,
    now=RATED,
    stalled_days=0,
    title="End qualified immunity for police",
    evidence_url=OLD_URL,
)


def count(db: Database, model: type[Any]) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def open_proposals(db: Database, promise_id: int) -> list[int]:
    statement = select(Proposal.id).where(
        Proposal.promise_id == promise_id, Proposal.status == ProposalStatus.OPEN
    )
    with db.reading() as uow:
        return list(uow.session.scalars(statement))


def actions(db: Database) -> list[str]:
    with db.reading() as uow:
        return list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def everything(db: Database) -> tuple[int, ...]:
    """Row counts of every table a proposal can touch, to show that nothing changed."""
    models = (Proposal, Review, RatingChange, Evidence, AuditEvent)
    return tuple(count(db, model) for model in models)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


ServiceFactory = Callable[..., ProposalService]


@pytest.fixture
def make_service(db: Database, clock: FakeClock) -> ServiceFactory:
    def build(**overrides: Any) -> ProposalService:
        settings = load_settings(**{"approvals_required": 2, **overrides})
        editors = EditorDirectory(EDITORS, None, None, ttl_seconds=60, clock=clock)
        return ProposalService(db, settings, clock, Permissions(editors))

    return build


@pytest.fixture
def service(make_service: ServiceFactory) -> ProposalService:
    return make_service()


def propose(
    service: ProposalService,
    promise_id: int,
    *,
    to: Rating = Rating.PROMISE_BROKEN,
    user: str = PROPOSER,
    links: str = "",
    effective_on: date | None = None,
    rationale: str = "The bill died in committee.",
) -> ProposalView:
    return service.propose(
        promise_id=promise_id,
        user=user,
        to_rating=to,
        rationale=rationale,
        links_text=links,
        effective_on=effective_on,
        origin_channel="CORIGIN",
    )


def test_draft_offers_every_rating_but_the_current_one(
    db: Database, service: ProposalService
) -> None:
    promise_id = make_promise(db)

    draft = service.draft(promise_id, ALICE)

    assert draft.current_rating is Rating.STALLED
    assert Rating.STALLED not in draft.choices
    assert len(draft.choices) == len(Rating) - 1
    assert (draft.external_id, draft.tracker_slug, draft.approvals_required) == (
        "police-liability",
        "gov",
        2,
    )
    with pytest.raises(NotAnEditor, match="Only editors can propose"):
        service.draft(promise_id, "UREPORTER")
    with pytest.raises(PromiseNotFound):
        service.draft(promise_id + 99, ALICE)


def test_full_flow_applies_the_change(db: Database, service: ProposalService) -> None:
    promise_id = make_promise(db)

    proposal = propose(
        service,
        promise_id,
        links=f"<{NEW_URL}>\n{OLD_URL}\n{NEW_URL}\n",
        effective_on=date(2025, 2, 28),
    )
    assert proposal.status is ProposalStatus.OPEN
    assert proposal.from_rating is Rating.STALLED
    assert proposal.links == (NEW_URL, OLD_URL)
    assert proposal.post_channel == "CORIGIN"
    assert proposal.expires_at == NOW + timedelta(days=14)
    posted = service.attach_message(proposal.id, "CREVIEW", "1741015800.000100")
    assert (posted.channel_id, posted.message_ts) == ("CREVIEW", "1741015800.000100")

    first = service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    assert (first.outcome, first.approvals, first.required) == (Outcome.RECORDED, 1, 2)
    assert first.applied_change is None and first.proposal.is_open

    second = service.review(
        proposal_id=proposal.id, reviewer=BOB, verdict=Verdict.APPROVE, comment="Confirmed."
    )

    assert second.outcome is Outcome.APPLY and second.applied and not second.went_stale
    assert second.proposal.status is ProposalStatus.APPROVED
    assert second.proposal.approvers == (ALICE, BOB)
    assert second.proposal.current_rating is Rating.PROMISE_BROKEN
    assert second.proposal.decided_at == NOW and second.proposal.decided_by == BOB
    noon_new_york = datetime(2025, 2, 28, 17, 0, tzinfo=UTC)
    change = second.applied_change
    assert change is not None
    assert (change.from_rating, change.to_rating) == (Rating.STALLED, Rating.PROMISE_BROKEN)
    assert change.effective_at == noon_new_york
    assert change.approved_by == (ALICE, BOB)
    assert [added.url for added in second.added_evidence] == [NEW_URL]
    assert second.staled == ()
    with db.reading() as uow:
        promise = uow.session.get(Promise, promise_id)
        assert promise is not None
        assert promise.current_rating is Rating.PROMISE_BROKEN
        assert promise.rated_at == noon_new_york
        assert promise.last_reviewed_at == NOW
        row = uow.session.scalars(select(RatingChange)).one()
        assert (row.proposal_id, row.proposed_by, row.approved_by) == (
            proposal.id,
            PROPOSER,
            [ALICE, BOB],
        )
        assert row.rationale == "The bill died in committee."
        urls = uow.session.scalars(select(Evidence.url).order_by(Evidence.id)).all()
        assert urls == [OLD_URL, NEW_URL]
    assert actions(db) == [
        "proposal.propose",
        "proposal.post",
        "proposal.review",
        "proposal.review",
        "proposal.approved",
        "promise.rating_change",
        "evidence.add",
    ]
    # Re-rendering after a failed Slack call reads the same outcome back.
    again = service.get(proposal.id)
    assert again == second.proposal


def test_effective_date_defaults_to_now(db: Database, service: ProposalService) -> None:
    proposal = propose(service, make_promise(db))
    service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    result = service.review(proposal_id=proposal.id, reviewer=BOB, verdict=Verdict.APPROVE)
    assert result.applied_change is not None
    assert result.applied_change.effective_at == NOW


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("rating", {"to": Rating.STALLED}),
        ("rationale", {"rationale": "   "}),
        ("rationale", {"rationale": "x" * 2001}),
        ("links", {"links": "ftp://files.example/report.pdf"}),
        ("links", {"links": "see the committee page"}),
        ("effective_on", {"effective_on": date(2025, 3, 4)}),
        ("effective_on", {"effective_on": date(2025, 1, 5)}),
    ],
)
def test_field_errors_change_nothing(
    db: Database, service: ProposalService, field: str, overrides: dict[str, Any]
) -> None:
    promise_id = make_promise(db)
    before = everything(db)

    with pytest.raises(InvalidProposal) as raised:
        propose(service, promise_id, **overrides)

    assert field in raised.value.errors
    assert everything(db) == before


def test_future_means_after_today_in_the_newsroom(
    db: Database, service: ProposalService, clock: FakeClock
) -> None:
    promise_id = make_promise(db)
    clock.set(datetime(2025, 3, 4, 2, 0, tzinfo=UTC))  # still March 3 in New York

    with pytest.raises(InvalidProposal) as raised:
        propose(service, promise_id, effective_on=date(2025, 3, 4))
    assert set(raised.value.errors) == {"effective_on"}

    assert propose(service, promise_id, effective_on=date(2025, 3, 3)).effective_on == date(
        2025, 3, 3
    )


def test_non_editors_cannot_propose(db: Database, service: ProposalService) -> None:
    promise_id = make_promise(db)
    before = everything(db)
    with pytest.raises(NotAnEditor, match="Only editors can propose"):
        propose(service, promise_id, user="UREPORTER")
    assert everything(db) == before


def test_a_double_submitted_proposal_is_stored_once(db: Database, service: ProposalService) -> None:
    promise_id = make_promise(db)
    propose(service, promise_id)
    with pytest.raises(InvalidProposal, match="already have an open proposal"):
        propose(service, promise_id)
    propose(service, promise_id, to=Rating.COMPROMISE)
    propose(service, promise_id, user=ALICE)
    assert count(db, Proposal) == 3


def test_self_review_and_non_editor_review_are_refused(
    db: Database, service: ProposalService
) -> None:
    proposal = propose(service, make_promise(db))
    before = everything(db)

    with pytest.raises(SelfReview):
        service.review(proposal_id=proposal.id, reviewer=PROPOSER, verdict=Verdict.APPROVE)
    with pytest.raises(NotAnEditor, match="Only editors can review"):
        service.review(proposal_id=proposal.id, reviewer="UREPORTER", verdict=Verdict.APPROVE)

    assert everything(db) == before
    with pytest.raises(ProposalNotFound):
        service.review(proposal_id=proposal.id + 99, reviewer=ALICE, verdict=Verdict.APPROVE)


def test_a_repeated_approval_counts_once(db: Database, service: ProposalService) -> None:
    proposal = propose(service, make_promise(db))
    service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    before = everything(db)

    again = service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)

    assert again.outcome is Outcome.UNCHANGED
    assert (again.approvals, again.proposal.approvers) == (1, (ALICE,))
    assert everything(db) == before


def test_a_changed_mind_replaces_the_approval(db: Database, service: ProposalService) -> None:
    proposal = propose(service, make_promise(db))
    service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)

    with pytest.raises(RejectionNeedsReason):
        service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.REJECT)
    assert service.get(proposal.id).approvers == (ALICE,)

    result = service.review(
        proposal_id=proposal.id,
        reviewer=ALICE,
        verdict=Verdict.REJECT,
        comment="  The bill was only delayed.  ",
    )

    assert result.outcome is Outcome.REJECTED
    assert result.proposal.status is ProposalStatus.REJECTED
    assert result.proposal.rejected_by == ALICE
    assert result.proposal.rejection_reason == "The bill was only delayed."
    assert result.proposal.approvers == ()
    assert count(db, Review) == 1
    assert count(db, RatingChange) == 0
    assert actions(db)[-1] == "proposal.rejected"


def test_an_over_long_reason_is_refused(db: Database, service: ProposalService) -> None:
    proposal = propose(service, make_promise(db))
    before = everything(db)
    with pytest.raises(InvalidProposal) as raised:
        service.review(
            proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.REJECT, comment="x" * 1001
        )
    assert set(raised.value.errors) == {"comment"}
    assert everything(db) == before


def test_only_the_proposer_may_withdraw(db: Database, service: ProposalService) -> None:
    proposal = propose(service, make_promise(db))
    with pytest.raises(OnlyProposerMayWithdraw):
        service.withdraw(proposal_id=proposal.id, user=ALICE)
    assert service.get(proposal.id).is_open

    withdrawn = service.withdraw(proposal_id=proposal.id, user=PROPOSER)

    assert withdrawn.status is ProposalStatus.WITHDRAWN
    assert withdrawn.decided_by == PROPOSER
    with pytest.raises(ProposalClosed, match="already withdrawn"):
        service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    with pytest.raises(ProposalClosed, match="already withdrawn"):
        service.withdraw(proposal_id=proposal.id, user=PROPOSER)


def test_reviews_on_an_applied_proposal_change_nothing(
    db: Database, service: ProposalService
) -> None:
    proposal = propose(service, make_promise(db))
    service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    service.review(proposal_id=proposal.id, reviewer=BOB, verdict=Verdict.APPROVE)
    before = everything(db)

    for verdict, comment in ((Verdict.APPROVE, ""), (Verdict.REJECT, "too late")):
        with pytest.raises(ProposalClosed, match="already approved"):
            service.review(
                proposal_id=proposal.id, reviewer=CAROL, verdict=verdict, comment=comment
            )
    with pytest.raises(ProposalClosed, match="already approved"):
        service.review(proposal_id=proposal.id, reviewer=BOB, verdict=Verdict.APPROVE)

    assert everything(db) == before


def test_applying_one_proposal_makes_the_others_stale(
    db: Database, service: ProposalService
) -> None:
    promise_id = make_promise(db)
    broken = propose(service, promise_id, to=Rating.PROMISE_BROKEN)
    kept = propose(service, promise_id, to=Rating.PROMISE_KEPT, user=ALICE)
    other_promise = make_promise(db, "ban-fracking")
    elsewhere = propose(service, other_promise)
    service.review(proposal_id=kept.id, reviewer=CAROL, verdict=Verdict.APPROVE)
    service.review(proposal_id=broken.id, reviewer=ALICE, verdict=Verdict.APPROVE)

    result = service.review(proposal_id=broken.id, reviewer=BOB, verdict=Verdict.APPROVE)

    assert result.applied
    assert [view.id for view in result.staled] == [kept.id]
    staled = result.staled[0]
    assert staled.status is ProposalStatus.STALE
    assert staled.current_rating is Rating.PROMISE_BROKEN
    assert staled.approvers == (CAROL,)
    assert service.get(elsewhere.id).is_open
    with pytest.raises(ProposalClosed, match="already stale"):
        service.review(proposal_id=kept.id, reviewer=BOB, verdict=Verdict.APPROVE)
    assert count(db, RatingChange) == 1
    assert open_proposals(db, promise_id) == []


def test_a_proposal_goes_stale_when_the_rating_moved_on(
    db: Database, service: ProposalService
) -> None:
    promise_id = make_promise(db)
    proposal = propose(service, promise_id)
    service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    with db.transaction() as uow:  # e.g. a re-import changed the rating meanwhile
        promise = uow.session.get(Promise, promise_id)
        assert promise is not None
        promise.current_rating = Rating.COMPROMISE
        uow.commit()

    result = service.review(proposal_id=proposal.id, reviewer=BOB, verdict=Verdict.APPROVE)

    assert result.outcome is Outcome.APPLY and result.went_stale and not result.applied
    assert result.proposal.status is ProposalStatus.STALE
    assert result.approvals == 2
    assert count(db, RatingChange) == 0
    assert count(db, Evidence) == 1
    assert actions(db)[-1] == "proposal.stale"


def test_approvals_required_is_the_policy_when_proposed(
    db: Database, make_service: ServiceFactory
) -> None:
    proposal = propose(make_service(approvals_required=3), make_promise(db))
    later = make_service(approvals_required=1)

    result = later.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)

    assert (result.outcome, result.required) == (Outcome.RECORDED, 3)


def test_old_open_proposals_expire(
    db: Database, service: ProposalService, clock: FakeClock
) -> None:
    promise_id = make_promise(db)
    old = propose(service, promise_id)
    decided = propose(service, promise_id, to=Rating.COMPROMISE)
    service.withdraw(proposal_id=decided.id, user=PROPOSER)
    clock.advance(days=10)
    young = propose(service, promise_id, to=Rating.PROMISE_KEPT)

    clock.advance(days=4)
    assert service.expire_due() == []
    clock.advance(minutes=1)
    expired = service.expire_due()

    assert [view.id for view in expired] == [old.id]
    assert expired[0].status is ProposalStatus.EXPIRED
    assert expired[0].decided_at == NOW + timedelta(days=14, minutes=1)
    assert service.expire_due() == []
    assert service.get(young.id).is_open
    assert service.get(decided.id).status is ProposalStatus.WITHDRAWN
    assert actions(db).count("proposal.expired") == 1
    with pytest.raises(ProposalClosed, match="already expired"):
        service.review(proposal_id=old.id, reviewer=ALICE, verdict=Verdict.APPROVE)


def test_thread_replies_review_only_in_our_threads(db: Database, service: ProposalService) -> None:
    proposal = propose(service, make_promise(db))
    service.attach_message(proposal.id, "CREVIEW", "100.1")

    def reply(
        verdict: Verdict, reason: str = "", *, user: str = ALICE, ts: str = "100.1"
    ) -> object:
        return service.review_reply(
            channel_id="CREVIEW", thread_ts=ts, user=user, verdict=verdict, reason=reason
        )

    assert reply(Verdict.APPROVE, ts="999.9") is None
    assert count(db, Review) == 0
    with pytest.raises(RejectionNeedsReason):
        reply(Verdict.REJECT)

    result = reply(Verdict.APPROVE)

    assert result is not None
    assert getattr(result, "outcome", None) is Outcome.RECORDED
    rejected = reply(Verdict.REJECT, "the vote was only postponed", user=BOB)
    assert rejected is not None
    assert service.get(proposal.id).rejection_reason == "the vote was only postponed"


def test_the_reject_button_is_checked_before_the_reason_is_asked(
    db: Database, service: ProposalService
) -> None:
    proposal = propose(service, make_promise(db))

    assert service.check_can_review(proposal.id, ALICE).id == proposal.id
    with pytest.raises(SelfReview):
        service.check_can_review(proposal.id, PROPOSER)
    with pytest.raises(NotAnEditor):
        service.check_can_review(proposal.id, "UREPORTER")
    with pytest.raises(ProposalNotFound):
        service.check_can_review(proposal.id + 99, ALICE)
    service.withdraw(proposal_id=proposal.id, user=PROPOSER)
    with pytest.raises(ProposalClosed, match="already withdrawn"):
        service.check_can_review(proposal.id, ALICE)
    assert count(db, Review) == 0


def test_the_review_channel_wins_over_the_origin(
    db: Database, make_service: ServiceFactory
) -> None:
    service = make_service(review_channel="CREVIEW")
    proposal = propose(service, make_promise(db))
    assert proposal.post_channel == "CREVIEW"
    assert service.get(proposal.id).post_channel == "CREVIEW"
    service.attach_message(proposal.id, "CREVIEW", "1.2")
    service.attach_message(proposal.id, "CREVIEW", "1.2")
    assert actions(db).count("proposal.post") == 1
    with pytest.raises(ProposalNotFound):
        service.attach_message(proposal.id + 99, "CREVIEW", "1.3")
