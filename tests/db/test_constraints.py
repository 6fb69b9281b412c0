"""The database enforces what correctness relies on: every constraint, violated, raises."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from promisebot.db.models import (
    DigestRun,
    Evidence,
    Promise,
    Proposal,
    RatingChange,
    ReminderSchedule,
    Review,
    Tracker,
)
from promisebot.db.uow import Database
from promisebot.domain import Rating, Verdict

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _promise(tracker: Tracker, external_id: str = "p1") -> Promise:
    return Promise(
        tracker=tracker,
        external_id=external_id,
        title="A promise",
        current_rating=Rating.STALLED,
        rated_at=NOW,
        last_reviewed_at=NOW,
    )


def _seed(session: Session) -> tuple[Tracker, Promise, Proposal, ReminderSchedule]:
    tracker = Tracker(slug="t", name="T")
    promise = _promise(tracker)
    proposal = Proposal(
        promise=promise,
        from_rating=Rating.STALLED,
        to_rating=Rating.PROMISE_BROKEN,
        rationale="why",
        proposed_by="U1",
        approvals_required=2,
    )
    schedule = ReminderSchedule(channel_id="C1", timezone="UTC", stalled_after_days=30)
    session.add_all([tracker, promise, proposal, schedule])
    session.flush()
    return tracker, promise, proposal, schedule


def _violates(
    db: Database,
    change: Callable[[Session, tuple[Tracker, Promise, Proposal, ReminderSchedule]], None],
) -> None:
    with db.transaction() as uow:
        seeded = _seed(uow.session)
        with pytest.raises((IntegrityError, StatementError)):
            change(uow.session, seeded)
            uow.session.flush()


def test_tracker_slug_is_unique(db: Database) -> None:
    _violates(db, lambda s, seeded: s.add(Tracker(slug="t", name="Again")))


def test_promise_id_is_unique_within_its_tracker(db: Database) -> None:
    _violates(db, lambda s, seeded: s.add(_promise(seeded[0], "p1")))


def test_the_same_id_may_live_in_two_trackers(db: Database) -> None:
    with db.transaction() as uow:
        _seed(uow.session)
        uow.session.add(_promise(Tracker(slug="other", name="Other"), "p1"))
        uow.session.flush()


def test_one_review_per_reviewer_per_proposal(db: Database) -> None:
    def review_twice(
        s: Session, seeded: tuple[Tracker, Promise, Proposal, ReminderSchedule]
    ) -> None:
        s.add(Review(proposal=seeded[2], reviewer="U2", verdict=Verdict.APPROVE))
        s.flush()
        s.add(Review(proposal=seeded[2], reviewer="U2", verdict=Verdict.APPROVE))

    _violates(db, review_twice)


def test_one_digest_run_per_schedule_and_period(db: Database) -> None:
    def claim_twice(
        s: Session, seeded: tuple[Tracker, Promise, Proposal, ReminderSchedule]
    ) -> None:
        s.add(DigestRun(schedule_id=seeded[3].id, period_key="2026-11-30T09:00"))
        s.flush()
        s.add(DigestRun(schedule_id=seeded[3].id, period_key="2026-11-30T09:00"))

    _violates(db, claim_twice)


def test_evidence_url_is_unique_per_promise(db: Database) -> None:
    def add_twice(s: Session, seeded: tuple[Tracker, Promise, Proposal, ReminderSchedule]) -> None:
        s.add(Evidence(promise=seeded[1], url="https://a.example/x"))
        s.flush()
        s.add(Evidence(promise=seeded[1], url="https://a.example/x"))

    _violates(db, add_twice)


def test_a_proposal_is_applied_at_most_once(db: Database) -> None:
    def apply_twice(
        s: Session, seeded: tuple[Tracker, Promise, Proposal, ReminderSchedule]
    ) -> None:
        for _ in range(2):
            s.add(
                RatingChange(
                    promise=seeded[1],
                    from_rating=Rating.STALLED,
                    to_rating=Rating.PROMISE_BROKEN,
                    effective_at=NOW,
                    proposal_id=seeded[2].id,
                )
            )
            s.flush()

    _violates(db, apply_twice)


def test_one_proposal_per_thread_root(db: Database) -> None:
    def same_root(s: Session, seeded: tuple[Tracker, Promise, Proposal, ReminderSchedule]) -> None:
        seeded[2].channel_id, seeded[2].message_ts = "C1", "1.000"
        s.flush()
        s.add(
            Proposal(
                promise=seeded[1],
                from_rating=Rating.STALLED,
                to_rating=Rating.COMPROMISE,
                rationale="again",
                proposed_by="U3",
                approvals_required=2,
                channel_id="C1",
                message_ts="1.000",
            )
        )

    _violates(db, same_root)


def test_foreign_keys_are_enforced(db: Database) -> None:
    def orphan(s: Session, seeded: tuple[Tracker, Promise, Proposal, ReminderSchedule]) -> None:
        s.add(Review(proposal_id=999_999, reviewer="U2", verdict=Verdict.APPROVE))

    _violates(db, orphan)


def test_ratings_outside_the_scale_are_refused_by_the_database(db: Database) -> None:
    def raw_bad_rating(
        s: Session, seeded: tuple[Tracker, Promise, Proposal, ReminderSchedule]
    ) -> None:
        s.execute(
            text("UPDATE promises SET current_rating = 'kinda_kept' WHERE id = :id"),
            {"id": seeded[1].id},
        )

    _violates(db, raw_bad_rating)


def test_required_fields_are_not_null(db: Database) -> None:
    _violates(db, lambda s, seeded: s.add(Tracker(slug="n", name=None)))


def test_naive_timestamps_are_refused(db: Database) -> None:
    def naive(s: Session, seeded: tuple[Tracker, Promise, Proposal, ReminderSchedule]) -> None:
        seeded[1].rated_at = datetime(2026, 1, 1)

    _violates(db, naive)
