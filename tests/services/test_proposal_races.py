"""Concurrent reviews on PostgreSQL: real threads, each with its own engine and connection,
released together by a barrier. Whatever the interleaving, a change applies exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from promisebot.db.models import Promise, Proposal, RatingChange, Review
from promisebot.db.uow import Database
from promisebot.domain import ProposalClosed, ProposalStatus, Rating, Verdict
from promisebot.services.permissions import EditorDirectory, Permissions
from promisebot.services.proposals import ProposalService, ReviewResult
from promisebot.settings import load_settings
from tests.clock import FakeClock
from tests.databases import postgres_only
from tests.factories import add_promise

pytestmark = postgres_only

ROUNDS = 4
PROPOSER = "UPROPOSER"
REVIEWERS = [f"UEDITOR{n:02d}" for n in range(20)]
EDITORS = frozenset({PROPOSER, *REVIEWERS})


@dataclass
class Outcomes:
    results: list[ReviewResult] = field(default_factory=list)
    closed: list[ProposalClosed] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture
def engines(database_url: str, db: Database) -> Iterator[list[Database]]:
    """One Database (engine, pool, connection) per thread, like separate replicas."""
    databases = [Database(database_url) for _ in REVIEWERS]
    try:
        yield databases
    finally:
        for database in databases:
            database.dispose()


SENIOR = REVIEWERS[-1]


def service_for(database: Database, approvals: int, **rule: str) -> ProposalService:
    clock = FakeClock()
    editors = EditorDirectory(EDITORS, None, None, ttl_seconds=60, clock=clock)
    settings = load_settings(approvals_required=approvals, **rule)
    seniors = EditorDirectory.from_settings(settings, None, clock, seniors=True)
    return ProposalService(database, settings, clock, Permissions(editors, seniors))


def fire(calls: list[Callable[[], ReviewResult]]) -> Outcomes:
    """Run every call in its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(calls))
    outcomes = Outcomes()
    lock = threading.Lock()

    def run(call: Callable[[], ReviewResult]) -> None:
        barrier.wait(10)
        try:
            result = call()
        except ProposalClosed as closed:
            with lock:
                outcomes.closed.append(closed)
        except BaseException as error:
            with lock:
                outcomes.errors.append(error)
        else:
            with lock:
                outcomes.results.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


make_promise = partial(add_promise, now=FakeClock()(), stalled_days=0)


def propose(service: ProposalService, promise_id: int, to: Rating) -> int:
    return service.propose(
        promise_id=promise_id,
        user=PROPOSER,
        to_rating=to,
        rationale="Racing.",
        links_text="",
        effective_on=None,
        origin_channel="CREVIEW",
    ).id


def counts(db: Database, promise_id: int) -> tuple[int, int]:
    """(rating changes, reviews) recorded for a promise."""
    with db.reading() as uow:
        changes = uow.session.scalar(
            select(func.count()).where(RatingChange.promise_id == promise_id)
        )
        reviews = uow.session.scalar(
            select(func.count())
            .select_from(Review)
            .join(Proposal)
            .where(Proposal.promise_id == promise_id)
        )
        return changes or 0, reviews or 0


def approve(service: ProposalService, proposal_id: int, reviewer: str) -> Callable[[], Any]:
    return lambda: service.review(
        proposal_id=proposal_id, reviewer=reviewer, verdict=Verdict.APPROVE
    )


def test_twenty_approvals_at_once_when_twenty_are_required(
    db: Database, engines: list[Database]
) -> None:
    services = [service_for(database, approvals=20) for database in engines]
    for round_ in range(ROUNDS):
        promise_id = make_promise(db, f"all-needed-{round_}")
        proposal_id = propose(services[0], promise_id, Rating.PROMISE_KEPT)

        outcomes = fire(
            [approve(s, proposal_id, user) for s, user in zip(services, REVIEWERS, strict=True)]
        )

        assert outcomes.errors == [] and outcomes.closed == []
        assert len(outcomes.results) == 20
        applied = [result for result in outcomes.results if result.applied]
        assert len(applied) == 1
        assert applied[0].approvals == 20
        assert sorted(r.approvals for r in outcomes.results) == list(range(1, 21))
        assert counts(db, promise_id) == (1, 20)
        change = applied[0].applied_change
        assert change is not None and sorted(change.approved_by) == REVIEWERS


def test_twenty_approvals_at_once_when_two_are_required(
    db: Database, engines: list[Database]
) -> None:
    services = [service_for(database, approvals=2) for database in engines]
    for round_ in range(ROUNDS):
        promise_id = make_promise(db, f"two-needed-{round_}")
        proposal_id = propose(services[0], promise_id, Rating.PROMISE_KEPT)

        outcomes = fire(
            [approve(s, proposal_id, user) for s, user in zip(services, REVIEWERS, strict=True)]
        )

        # The two first in line are counted; the rest get "already approved", not an error.
        assert outcomes.errors == []
        assert len(outcomes.results) == 2
        assert sum(result.applied for result in outcomes.results) == 1
        assert len(outcomes.closed) == 18
        assert {closed.status for closed in outcomes.closed} == {ProposalStatus.APPROVED}
        assert counts(db, promise_id) == (1, 2)


def test_two_proposals_reaching_their_last_approval_together(
    db: Database, engines: list[Database]
) -> None:
    first, second = (service_for(database, approvals=2) for database in engines[:2])
    for round_ in range(ROUNDS * 2):
        promise_id = make_promise(db, f"two-proposals-{round_}")
        kept = propose(first, promise_id, Rating.PROMISE_KEPT)
        broken = propose(first, promise_id, Rating.PROMISE_BROKEN)
        first.review(proposal_id=kept, reviewer=REVIEWERS[0], verdict=Verdict.APPROVE)
        first.review(proposal_id=broken, reviewer=REVIEWERS[0], verdict=Verdict.APPROVE)

        outcomes = fire([approve(first, kept, REVIEWERS[1]), approve(second, broken, REVIEWERS[2])])

        assert outcomes.errors == []
        assert len(outcomes.results) == 1 and outcomes.results[0].applied
        assert [closed.status for closed in outcomes.closed] == [ProposalStatus.STALE]
        winner = outcomes.results[0].proposal.id
        loser = broken if winner == kept else kept
        assert [view.id for view in outcomes.results[0].staled] == [loser]
        with db.reading() as uow:
            statuses = {p.id: p.status for p in uow.session.scalars(select(Proposal))}
            promise = uow.session.get(Promise, promise_id)
            assert promise is not None
            assert promise.current_rating is outcomes.results[0].proposal.to_rating
        assert (statuses[winner], statuses[loser]) == (
            ProposalStatus.APPROVED,
            ProposalStatus.STALE,
        )
        assert counts(db, promise_id) == (1, 3)


def test_a_seniors_approval_and_two_ordinary_ones_at_once_apply_exactly_once(
    db: Database, engines: list[Database]
) -> None:
    rule = {"senior_editors": SENIOR, "senior_required_for": "Promise Broken"}
    services = [service_for(database, approvals=2, **rule) for database in engines[:3]]
    reviewers = [REVIEWERS[0], REVIEWERS[1], SENIOR]
    for round_ in range(ROUNDS * 2):
        promise_id = make_promise(db, f"senior-{round_}")
        proposal_id = propose(services[0], promise_id, Rating.PROMISE_BROKEN)

        outcomes = fire(
            [approve(s, proposal_id, user) for s, user in zip(services, reviewers, strict=True)]
        )

        assert outcomes.errors == []
        applied = [result for result in outcomes.results if result.applied]
        assert len(applied) == 1
        change = applied[0].applied_change
        assert change is not None and SENIOR in change.approved_by
        # Whoever came in order: the senior's approval completed it, or the two ordinary
        # ones waited for it; a third review after it was applied found it closed.
        counted = len(outcomes.results)
        assert counted + len(outcomes.closed) == 3
        assert {closed.status for closed in outcomes.closed} <= {ProposalStatus.APPROVED}
        waiting = [r for r in outcomes.results if not r.applied]
        assert all(r.proposal.status is ProposalStatus.OPEN for r in waiting)
        assert counts(db, promise_id) == (1, counted)
        with db.reading() as uow:
            promise = uow.session.get(Promise, promise_id)
            assert promise is not None and promise.current_rating is Rating.PROMISE_BROKEN
