"""Follows, notifications and deadlines through database blips: each write is re-run whole,
and a COMMIT whose answer was lost is settled by what the database holds — a person's own
follow is answered as followed, never "already following"; a claim is this sender's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from promisebot import changes
from promisebot.db.models import AuditEvent, Delivery, Follow, Promise
from promisebot.db.retry import RetryPolicy
from promisebot.db.uow import Database
from promisebot.services.deadlines import DeadlineService
from promisebot.services.follows import (
    AlreadyFollowing,
    FollowService,
    OutboxService,
    Preferences,
    Target,
    TargetKind,
)
from promisebot.services.permissions import EditorDirectory, Permissions
from tests.clock import FakeClock
from tests.db.blips import failing_statements, lost_commit
from tests.factories import add_promise

NOW = datetime(2025, 3, 3, 15, 30, tzinfo=UTC)
ALICE, BOB, SENDER = "UALICE", "UBOB", "sender-1"
LEASE = timedelta(minutes=5)


@pytest.fixture
def retrying(db: Database) -> Database:
    return Database(db.url, engine=db.engine, retry=RetryPolicy(sleep=lambda _s: None))


@pytest.fixture
def permissions() -> Permissions:
    clock = FakeClock(NOW)
    return Permissions(
        EditorDirectory(frozenset({ALICE, BOB}), None, None, ttl_seconds=60, clock=clock)
    )


@pytest.fixture
def follows(retrying: Database, permissions: Permissions) -> FollowService:
    return FollowService(retrying, FakeClock(NOW), permissions)


@pytest.fixture
def outbox(retrying: Database) -> OutboxService:
    return OutboxService(retrying, FakeClock(NOW))


@pytest.fixture
def promise(db: Database) -> Target:
    return Target(TargetKind.PROMISE, str(add_promise(db, now=NOW)))


def count(db: Database, model: type[Any], *where: Any) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audited(db: Database, action: str) -> int:
    return count(db, AuditEvent, AuditEvent.action == action)


def evidence_by_bob(db: Database, target: Target) -> None:
    """A change to the followed promise, as the evidence service writes it."""
    with db.transaction() as uow:
        uow.outbox.add(
            changes.evidence_added(
                int(target.key), actor=BOB, at=NOW, url="https://news.example/a", title="A", note=""
            )
        )
        uow.commit()


def test_a_follow_whose_commit_answer_was_lost_is_answered_as_followed(
    db: Database, follows: FollowService, promise: Target
) -> None:
    with lost_commit(landed=True) as failures:
        result = follows.follow(promise, user=ALICE)
    assert failures == [1]
    assert not result.resumed and result.subscription.subscriber_id == ALICE
    assert (count(db, Follow), audited(db, "follow.add")) == (1, 1)


def test_a_follow_already_there_is_still_already_following(
    follows: FollowService, promise: Target
) -> None:
    follows.follow(promise, user=ALICE)
    with pytest.raises(AlreadyFollowing):
        follows.follow(promise, user=ALICE)


def test_a_resume_whose_commit_answer_was_lost_is_answered_as_resumed(
    db: Database, follows: FollowService, outbox: OutboxService, promise: Target
) -> None:
    follows.follow(promise, user=ALICE)
    outbox.pause(ALICE, "user_not_found")
    with lost_commit(landed=True):
        result = follows.follow(promise, user=ALICE)
    assert result.resumed and result.subscription.paused_reason is None
    assert count(db, Follow, Follow.paused_reason.is_not(None)) == 0


def test_an_unfollow_whose_commit_answer_was_lost_is_answered_as_unfollowed(
    db: Database, follows: FollowService, promise: Target
) -> None:
    first = follows.follow(promise, user=ALICE).subscription
    other = Target(TargetKind.TRACKER, "gov")
    second = follows.follow(other, user=ALICE).subscription
    with lost_commit(landed=True):
        gone = follows.unfollow(promise, user=ALICE)
    with lost_commit(landed=True):
        gone_by_id = follows.unfollow_by_id(second.id, user=ALICE)
    assert (gone.id, gone_by_id.id) == (first.id, second.id)
    assert (count(db, Follow), audited(db, "follow.remove")) == (0, 2)


def test_preferences_whose_commit_answer_was_lost_are_set_once(
    db: Database, follows: FollowService
) -> None:
    wanted = Preferences(notify_proposals=True, daily_summary=True)
    with lost_commit(landed=True):
        assert follows.set_preferences(ALICE, wanted) == wanted
    assert follows.following(ALICE).preferences == wanted
    assert audited(db, "follow.preferences") == 1


def test_a_blip_in_the_middle_of_a_follow_is_not_noticed(
    db: Database, follows: FollowService, promise: Target
) -> None:
    with failing_statements("INSERT INTO follows", times=2) as failed:
        follows.follow(promise, user=ALICE)
    assert len(failed) == 2
    assert follows.is_following(ALICE, int(promise.key))


def test_a_delivery_claim_whose_commit_answer_was_lost_is_this_senders(
    db: Database, follows: FollowService, outbox: OutboxService, promise: Target
) -> None:
    follows.follow(promise, user=ALICE)
    evidence_by_bob(db, promise)
    with lost_commit(landed=True):
        assert outbox.expand() == 1
    assert count(db, Delivery) == 1

    with lost_commit(landed=True):
        claimed = outbox.claim(SENDER, limit=10, lease=LEASE, max_attempts=3)
    assert [(item.subscriber_id, item.attempt) for item in claimed] == [(ALICE, 1)]

    delivery = claimed[0].delivery_id
    with lost_commit(landed=True):
        assert outbox.record_posted(delivery, channel_id="DALICE", message_ts="1.000100")
    # A second sender's post of the same delivery is still told it was a duplicate.
    assert not outbox.record_posted(delivery, channel_id="DALICE", message_ts="2.000100")


def test_a_pause_whose_commit_answer_was_lost_is_recorded_once(
    db: Database, follows: FollowService, outbox: OutboxService, promise: Target
) -> None:
    follows.follow(promise, user=ALICE)
    follows.follow(Target(TargetKind.TRACKER, "gov"), user=ALICE)
    with lost_commit(landed=True):
        assert outbox.pause(ALICE, "user_not_found") == 2
    assert audited(db, "follow.paused") == 1


def test_a_summary_claim_whose_commit_answer_was_lost_is_this_senders(
    db: Database, follows: FollowService, outbox: OutboxService, promise: Target
) -> None:
    follows.set_preferences(ALICE, Preferences(daily_summary=True))
    follows.follow(promise, user=ALICE)
    evidence_by_bob(db, promise)
    outbox.expand()
    before = NOW + timedelta(seconds=1)
    with lost_commit(landed=True):
        claim = outbox.claim_summary(ALICE, "2025-03-03", SENDER, before=before, retry_after=LEASE)
    assert claim is not None and claim.attempt == 1 and len(claim.items) == 1

    with lost_commit(landed=True):
        assert outbox.record_summary(claim.run_id, channel_id="DALICE", message_ts="1.1", count=1)
    assert not outbox.record_summary(claim.run_id, channel_id="DALICE", message_ts="2.2", count=1)
    assert count(db, Delivery, Delivery.done_at.is_(None)) == 0


def test_a_deadline_whose_commit_answer_was_lost_answers_what_it_replaced(
    db: Database, retrying: Database, permissions: Permissions
) -> None:
    promise_id = add_promise(db, now=NOW)
    with db.transaction() as uow:
        row = uow.session.get_one(Promise, promise_id)
        row.due_on = date(2025, 1, 1)
        uow.commit()
    deadlines = DeadlineService(retrying, FakeClock(NOW), ZoneInfo("UTC"), permissions)

    with lost_commit(landed=True):
        changed = deadlines.set("police-liability", ALICE, date(2026, 1, 20))

    assert changed.previous_due_on == date(2025, 1, 1)
    assert changed.deadline is not None and changed.deadline.due_on == date(2026, 1, 20)
    assert audited(db, "promise.deadline_set") == 1
