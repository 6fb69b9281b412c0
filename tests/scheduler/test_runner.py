"""DigestRunner against the fake Slack with a controllable clock: exactly one post per
period, Slack faults, retries of unposted claims, and catch-up after downtime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from promisebot.db.uow import Database
from promisebot.sandbox import FakeSlack
from promisebot.scheduler import DigestRunner, RunOutcome, RunStatus
from tests.blocks import assert_valid_blocks
from tests.clock import FakeClock
from tests.factories import add_promise, add_schedule
from tests.scheduler.support import EDITOR, EVERY_DAY, MONDAY_9AM, build

Runner = Callable[..., DigestRunner]
PERIOD = "2026-11-30T09:00"
WEEK = timedelta(days=7)


def posted_ids(fake: FakeSlack) -> list[list[str]]:
    """The promise ids in each posted digest, by the Reviewed buttons' values."""
    return [
        [
            element["value"]
            for block in message.get("blocks", [])
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == "promise.reviewed"
        ]
        for message in fake.posted_messages()
    ]


def test_posts_the_digest_once_and_records_it(
    db: Database, fake: FakeSlack, make_runner: Runner
) -> None:
    a = add_promise(db, "a", now=MONDAY_9AM, stalled_days=300)
    b = add_promise(db, "b", now=MONDAY_9AM, stalled_days=60)
    add_promise(db, "fresh", now=MONDAY_9AM, stalled_days=10)
    schedule = add_schedule(db, channel="C_NEWS")
    replica_a, replica_b = make_runner("replica-a"), make_runner("replica-b")

    first = replica_a.run_schedule(schedule, MONDAY_9AM)
    second = replica_b.run_schedule(schedule, MONDAY_9AM)
    again = replica_a.run_schedule(schedule, MONDAY_9AM)

    assert (first.status, first.period_key, first.item_count) == (RunStatus.POSTED, PERIOD, 2)
    assert second.status is again.status is RunStatus.NOT_CLAIMED
    (message,) = fake.posted_messages()
    assert message["channel"] == "C_NEWS"
    assert posted_ids(fake) == [[str(a), str(b)]]
    assert_valid_blocks(message["blocks"])
    run = build(db, lambda: MONDAY_9AM).digests.run_status(schedule, PERIOD)
    assert run is not None and run.message_ts == first.message_ts and run.item_count == 2


def test_nothing_due_posts_nothing_unless_all_clear_is_on(
    db: Database, fake: FakeSlack, make_runner: Runner
) -> None:
    quiet = add_schedule(db, channel="C_QUIET")
    loud = add_schedule(db, channel="C_LOUD")

    outcome = make_runner().run_schedule(quiet, MONDAY_9AM)
    loud_outcome = make_runner(digest_post_all_clear=True).run_schedule(loud, MONDAY_9AM)

    assert outcome.status is RunStatus.NOTHING_DUE
    assert loud_outcome.status is RunStatus.POSTED
    (message,) = fake.posted_messages()
    assert message["channel"] == "C_LOUD" and message["text"].startswith("All clear")
    assert make_runner("replica-b").run_schedule(quiet, MONDAY_9AM).status is (
        RunStatus.NOT_CLAIMED
    )


def test_rate_limited_then_success_posts_once(
    db: Database, fake: FakeSlack, make_runner: Runner
) -> None:
    add_promise(db, "a", now=MONDAY_9AM)
    schedule = add_schedule(db)
    fake.fail_next("chat.postMessage", status=429, retry_after=1)

    outcome = make_runner().run_schedule(schedule, MONDAY_9AM)

    assert outcome.status is RunStatus.POSTED
    assert len(fake.posted_messages()) == 1
    assert [call.response["error"] for call in fake.failed_calls] == ["ratelimited"]


def test_server_errors_leave_the_claim_for_a_retry_that_posts_once(
    db: Database, fake: FakeSlack, make_runner: Runner, clock: FakeClock
) -> None:
    add_promise(db, "a", now=MONDAY_9AM)
    schedule = add_schedule(db)
    replica_a, replica_b = make_runner("replica-a"), make_runner("replica-b")
    fake.fail_next("chat.postMessage", status=503, times=3)  # the client tries 3 times

    failed = replica_a.run_schedule(schedule, MONDAY_9AM)

    assert failed.status is RunStatus.FAILED
    assert len(fake.failed_calls) == 3 and fake.posted_messages() == []
    assert replica_b.retry_unposted() == []  # replica-a's claim is still fresh
    clock.advance(minutes=6)
    (retried,) = replica_b.retry_unposted()
    assert (retried.status, retried.period_key) == (RunStatus.POSTED, PERIOD)
    assert replica_a.retry_unposted() == replica_b.retry_unposted() == []
    assert len(fake.posted_messages()) == 1


def test_the_claimer_retries_its_own_failed_post_sooner(
    db: Database, fake: FakeSlack, make_runner: Runner, clock: FakeClock
) -> None:
    add_promise(db, "a", now=MONDAY_9AM)
    schedule = add_schedule(db)
    replica_a = make_runner("replica-a")
    fake.fail_next("chat.postMessage", error="fatal_error")

    assert replica_a.run_schedule(schedule, MONDAY_9AM).status is RunStatus.FAILED
    clock.advance(seconds=31)

    assert make_runner("replica-b").retry_unposted() == []
    assert [o.status for o in replica_a.retry_unposted()] == [RunStatus.POSTED]
    assert len(fake.posted_messages()) == 1


def test_an_unposted_claim_is_not_retried_once_a_newer_period_has_come(
    db: Database, fake: FakeSlack, make_runner: Runner, clock: FakeClock
) -> None:
    add_promise(db, "a", now=MONDAY_9AM)
    schedule = add_schedule(db)
    fake.fail_next("chat.postMessage", error="fatal_error")
    assert make_runner().run_schedule(schedule, MONDAY_9AM).status is RunStatus.FAILED

    clock.set(MONDAY_9AM + WEEK + timedelta(minutes=1))

    assert make_runner("replica-b").retry_unposted() == []
    assert make_runner("replica-b").run_due(schedule).period_key == "2026-12-07T09:00"
    assert len(fake.posted_messages()) == 1


def test_catch_up_after_downtime_posts_one_digest_for_the_latest_period(
    db: Database, fake: FakeSlack, make_runner: Runner, clock: FakeClock
) -> None:
    add_promise(db, "a", now=MONDAY_9AM - WEEK)
    daily = add_schedule(db, days=EVERY_DAY, channel="C_DAILY")
    add_schedule(db, days="tue", channel="C_TUESDAY")  # its latest period is days ago
    # Down since last Monday; back up at 13:30, 4.5 hours after today's 09:00.
    clock.set(MONDAY_9AM + timedelta(hours=4, minutes=30))

    outcomes = make_runner().catch_up()

    assert [(o.schedule_id, o.period_key, o.status) for o in outcomes] == [
        (daily, PERIOD, RunStatus.POSTED)
    ]
    assert [m["channel"] for m in fake.posted_messages()] == ["C_DAILY"]
    assert make_runner("replica-b").catch_up() == [RunOutcome(daily, PERIOD, RunStatus.NOT_CLAIMED)]
    assert len(fake.posted_messages()) == 1


def test_no_catch_up_outside_the_grace_window(
    db: Database, fake: FakeSlack, make_runner: Runner, clock: FakeClock
) -> None:
    add_promise(db, "a", now=MONDAY_9AM - WEEK)
    add_schedule(db)

    clock.set(MONDAY_9AM + timedelta(hours=6, minutes=1))
    assert make_runner().catch_up() == []
    clock.set(MONDAY_9AM + timedelta(hours=2))
    assert make_runner(digest_grace_hours=1).catch_up() == []
    assert fake.posted_messages() == []


def test_no_catch_up_for_a_period_before_the_schedule_existed(
    db: Database, fake: FakeSlack, make_runner: Runner, clock: FakeClock
) -> None:
    add_promise(db, "a", now=MONDAY_9AM - WEEK)
    add_schedule(db, created_at=MONDAY_9AM + timedelta(minutes=30))
    clock.set(MONDAY_9AM + timedelta(hours=1))

    assert make_runner().catch_up() == []
    assert fake.posted_messages() == []


def test_reviewed_and_snoozed_promises_drop_out_of_the_next_digest(
    db: Database, fake: FakeSlack, make_runner: Runner, clock: FakeClock
) -> None:
    reviewed = add_promise(db, "reviewed", now=MONDAY_9AM, stalled_days=400)
    snoozed = add_promise(db, "snoozed", now=MONDAY_9AM, stalled_days=300)
    stays = add_promise(db, "stays", now=MONDAY_9AM, stalled_days=200)
    schedule = add_schedule(db)
    runner = make_runner()
    editors = build(db, clock).digests

    runner.run_due(schedule)
    editors.mark_reviewed(reviewed, EDITOR)
    editors.snooze(snoozed, EDITOR, 30)
    clock.advance(days=7)
    runner.run_due(schedule)

    assert posted_ids(fake) == [[str(reviewed), str(snoozed), str(stays)], [str(stays)]]


def test_many_stalled_promises_post_within_slacks_limits(
    db: Database, fake: FakeSlack, make_runner: Runner
) -> None:
    for n in range(40):
        add_promise(db, f"p{n:02d}", now=MONDAY_9AM, stalled_days=500 - n, title="Long " * 59)
    schedule = add_schedule(db)

    outcome = make_runner().run_schedule(schedule, MONDAY_9AM)

    assert outcome.status is RunStatus.POSTED and outcome.item_count == 40
    (message,) = fake.posted_messages()
    assert_valid_blocks(message["blocks"])
    shown = len(posted_ids(fake)[0])
    assert message["blocks"][-1]["elements"][0]["text"].startswith(f"…and {40 - shown} more")
    assert fake.failed_calls == []


def test_disabled_or_missing_schedules_are_skipped(
    db: Database, fake: FakeSlack, make_runner: Runner
) -> None:
    add_promise(db, "a", now=MONDAY_9AM)

    assert make_runner().run_schedule(4242, MONDAY_9AM).status is RunStatus.SKIPPED
    assert make_runner().run_due(4242).status is RunStatus.SKIPPED
    assert fake.posted_messages() == []
