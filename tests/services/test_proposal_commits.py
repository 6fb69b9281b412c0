"""ProposalService through database blips: every write is re-run whole on a fresh connection,
and a COMMIT whose answer was lost is settled by what the database holds, never applied twice
(an approval that applied the change is answered as applied, not as "already approved")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from promisebot.db.models import (
    AuditEvent,
    Evidence,
    ProcessedEvent,
    Promise,
    Proposal,
    RatingChange,
    Review,
    Tracker,
)
from promisebot.db.retry import RetryPolicy
from promisebot.db.uow import Database
from promisebot.domain import Outcome, ProposalStatus, Rating, Verdict
from promisebot.services.permissions import EditorDirectory, Permissions
from promisebot.services.proposals import ProposalService, ProposalView
from promisebot.settings import load_settings
from tests.clock import FakeClock
from tests.db.blips import failing_statements, lost_commit

NOW = datetime(2025, 3, 3, 15, 30, tzinfo=UTC)
PROPOSER, OTHER, ALICE, BOB = "UPROPOSER", "UOTHER", "UALICE", "UBOB"
LINK = "https://news.example/2025/03/bill-dies"
CHANNEL, TS = "CREVIEW", "1741015800.000100"


@pytest.fixture
def service(db: Database) -> ProposalService:
    retrying = Database(db.url, engine=db.engine, retry=RetryPolicy(sleep=lambda _s: None))
    clock = FakeClock(NOW)
    editors = EditorDirectory(
        frozenset({PROPOSER, OTHER, ALICE, BOB}), None, None, ttl_seconds=60, clock=clock
    )
    settings = load_settings(approvals_required=2)
    return ProposalService(retrying, settings, clock, Permissions(editors))


@pytest.fixture
def promise_id(db: Database) -> int:
    with db.transaction() as uow:
        tracker = Tracker(slug="gov", name="Governor tracker", subject="The Governor")
        promise = Promise(
            tracker=tracker,
            external_id="police-liability",
            title="End qualified immunity for police",
            current_rating=Rating.STALLED,
            rated_at=NOW,
            last_reviewed_at=NOW,
        )
        uow.add(promise)
        uow.commit()
        return promise.id


def propose(service: ProposalService, promise_id: int, **form: Any) -> ProposalView:
    arguments: dict[str, Any] = {
        "promise_id": promise_id,
        "user": PROPOSER,
        "to_rating": Rating.PROMISE_BROKEN,
        "rationale": "The bill died in committee.",
        "links_text": "",
        "effective_on": None,
        "origin_channel": CHANNEL,
        **form,
    }
    proposal = service.propose(**arguments)
    return service.attach_message(proposal.id, CHANNEL, f"{proposal.id}.000100")


def rows(db: Database, model: type[Any]) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def actions(db: Database, action: str) -> int:
    with db.reading() as uow:
        statement = select(func.count()).where(AuditEvent.action == action)
        return uow.session.scalar(statement) or 0


def test_an_applying_approval_whose_commit_answer_was_lost_answers_as_applied(
    db: Database, service: ProposalService, promise_id: int
) -> None:
    proposal = propose(service, promise_id, links_text=LINK)
    sibling = propose(service, promise_id, user=OTHER, to_rating=Rating.IN_THE_WORKS)
    service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)

    with lost_commit(landed=True) as failures:
        result = service.review(proposal_id=proposal.id, reviewer=BOB, verdict=Verdict.APPROVE)

    assert failures == [1]
    assert result.outcome is Outcome.APPLY and result.applied
    assert result.applied_change is not None
    assert result.applied_change.approved_by == (ALICE, BOB)
    assert [p.id for p in result.staled] == [sibling.id]
    assert [e.url for e in result.added_evidence] == [LINK]
    assert (result.approvals, result.required) == (2, 2)
    # Applied once: one change, one evidence row, one review each, one audit event.
    assert (rows(db, RatingChange), rows(db, Evidence), rows(db, Review)) == (1, 1, 2)
    assert actions(db, "promise.rating_change") == 1
    assert service.get(proposal.id).status is ProposalStatus.APPROVED
    assert service.get(sibling.id).status is ProposalStatus.STALE


@pytest.mark.parametrize("verdict", [Verdict.APPROVE, Verdict.REJECT])
def test_a_review_whose_commit_answer_was_lost_answers_what_it_did(
    db: Database, service: ProposalService, promise_id: int, verdict: Verdict
) -> None:
    proposal = propose(service, promise_id)
    with lost_commit(landed=True):
        result = service.review(
            proposal_id=proposal.id, reviewer=ALICE, verdict=verdict, comment="Not yet."
        )
    expected = Outcome.RECORDED if verdict is Verdict.APPROVE else Outcome.REJECTED
    assert (result.outcome, result.verdict) == (expected, verdict)
    assert rows(db, Review) == 1
    assert actions(db, "proposal.review") == 1


def test_a_review_whose_commit_did_not_land_is_made_by_the_retry(
    db: Database, service: ProposalService, promise_id: int
) -> None:
    proposal = propose(service, promise_id)
    service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    with lost_commit(landed=False) as failures:
        result = service.review(proposal_id=proposal.id, reviewer=BOB, verdict=Verdict.APPROVE)
    assert failures == [1]
    assert result.outcome is Outcome.APPLY and result.applied
    assert (rows(db, RatingChange), rows(db, Review)) == (1, 2)


def test_a_thread_reply_is_claimed_in_the_reviews_own_transaction(
    db: Database, service: ProposalService, promise_id: int
) -> None:
    proposal = propose(service, promise_id)
    assert proposal.channel_id and proposal.message_ts
    where = {"channel_id": proposal.channel_id, "thread_ts": proposal.message_ts}

    # The database stays away past every retry: nothing is stored, the event not claimed...
    with failing_statements(), pytest.raises(OperationalError):
        service.review_reply(**where, user=ALICE, verdict=Verdict.APPROVE, event_id="Ev1")
    assert (rows(db, Review), rows(db, ProcessedEvent)) == (0, 0)

    # ...so Slack's redelivery of the event is reviewed, with its answer lost in COMMIT...
    with lost_commit(landed=True):
        result = service.review_reply(**where, user=ALICE, verdict=Verdict.APPROVE, event_id="Ev1")
    assert result is not None and result.outcome is Outcome.RECORDED

    # ...and a further redelivery of the handled event counts nothing.
    again = service.review_reply(**where, user=ALICE, verdict=Verdict.APPROVE, event_id="Ev1")
    assert again is None
    assert (rows(db, Review), rows(db, ProcessedEvent)) == (1, 1)
    assert actions(db, "proposal.review") == 1


def test_a_proposal_whose_commit_answer_was_lost_is_stored_once(
    db: Database, service: ProposalService, promise_id: int
) -> None:
    with lost_commit(landed=True):
        proposal = service.propose(
            promise_id=promise_id,
            user=PROPOSER,
            to_rating=Rating.PROMISE_BROKEN,
            rationale="The bill died in committee.",
            links_text="",
            effective_on=None,
            origin_channel=CHANNEL,
        )
    with db.reading() as uow:
        assert uow.session.scalars(select(Proposal.id)).all() == [proposal.id]
    assert proposal.is_open


def test_a_withdrawal_whose_commit_answer_was_lost_answers_as_withdrawn(
    db: Database, service: ProposalService, promise_id: int
) -> None:
    proposal = propose(service, promise_id)
    with lost_commit(landed=True):
        withdrawn = service.withdraw(proposal_id=proposal.id, user=PROPOSER)
    assert withdrawn.status is ProposalStatus.WITHDRAWN
    assert actions(db, "proposal.withdrawn") == 1


def test_a_blip_in_the_middle_of_a_review_is_not_noticed(
    db: Database, service: ProposalService, promise_id: int
) -> None:
    proposal = propose(service, promise_id)
    with failing_statements("INSERT INTO reviews", times=2) as failed:
        result = service.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    assert len(failed) == 2
    assert result.outcome is Outcome.RECORDED
    assert rows(db, Review) == 1
