"""PromisebotScheduler on a real BackgroundScheduler: jobs built from the database, kept in
sync with other replicas' changes, the catch-up at start, and extra periodic jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from promisebot.db.uow import Database
from promisebot.sandbox import FakeSlack
from promisebot.scheduler import PromisebotScheduler
from promisebot.services.reminders import Cadence, ScheduleSpec
from promisebot.settings import Settings
from promisebot.slack.client import build_web_client
from promisebot.slack.messenger import Messenger
from tests.clock import FakeClock
from tests.factories import add_promise, add_schedule
from tests.scheduler.support import EDITOR, EVERY_DAY, MONDAY_9AM, build


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def make_scheduler(
    db: Database, clock: FakeClock, make_settings: Callable[..., Settings]
) -> Iterator[Callable[..., PromisebotScheduler]]:
    started: list[PromisebotScheduler] = []

    def make(**options: Any) -> PromisebotScheduler:
        settings = make_settings()
        scheduler = PromisebotScheduler(
            build(db, clock, settings), Messenger(build_web_client(settings)), **options
        )
        started.append(scheduler)
        return scheduler

    yield make
    for scheduler in started:
        scheduler.shutdown(wait=True)


def test_start_builds_a_job_per_enabled_schedule_plus_housekeeping(
    db: Database, make_scheduler: Callable[..., PromisebotScheduler]
) -> None:
    monday = add_schedule(db, days="mon", at="09:00")
    daily = add_schedule(db, days=EVERY_DAY, at="17:30", timezone="Europe/London")
    scheduler = make_scheduler(extra_jobs=[("proposals:expire", lambda: None, 3600)])

    scheduler.start()

    assert scheduler.digest_job_ids() == [f"digest:{monday}", f"digest:{daily}"]
    assert {"schedules:sync", "digests:retry", "proposals:expire"} <= set(scheduler.job_ids())
    now = datetime.now(UTC)
    for schedule_id, cadence in (
        (monday, Cadence.of("mon", "09:00", "America/New_York")),
        (daily, Cadence.of(EVERY_DAY, "17:30", "Europe/London")),
    ):
        expected = cadence.next_after(now - timedelta(seconds=5))
        assert scheduler.next_run_time(f"digest:{schedule_id}") in (
            expected,
            cadence.next_after(expected),
        )


def test_jobs_follow_schedule_changes_made_by_another_replica(
    db: Database,
    make_scheduler: Callable[..., PromisebotScheduler],
    make_settings: Callable[..., Settings],
    clock: FakeClock,
) -> None:
    scheduler = make_scheduler(sync_seconds=0.1)
    scheduler.start()
    other_replica = build(db, clock, make_settings(editors=EDITOR)).schedules
    assert scheduler.digest_job_ids() == []

    created = other_replica.create("C1", EDITOR, ScheduleSpec((0, 3), 9, 0))
    eventually(lambda: scheduler.digest_job_ids() == [f"digest:{created.id}"])
    other_replica.disable(created.id, EDITOR)
    eventually(lambda: scheduler.digest_job_ids() == [])
    assert scheduler.sync() is False  # nothing changed since the last sync


def test_catch_up_at_start_posts_the_missed_digest_once(
    db: Database,
    fake: FakeSlack,
    clock: FakeClock,
    make_scheduler: Callable[..., PromisebotScheduler],
) -> None:
    add_promise(db, "a", now=MONDAY_9AM)
    add_schedule(db)
    clock.set(MONDAY_9AM + timedelta(hours=2))

    for replica in ("replica-a", "replica-b"):
        make_scheduler(claimer_id=replica).start()

    fake.wait_for("chat.postMessage")
    time.sleep(0.3)  # room for a wrong second post to show up
    assert len(fake.posted_messages()) == 1


def test_a_due_digest_job_posts_through_apscheduler(
    db: Database,
    fake: FakeSlack,
    clock: FakeClock,
    make_scheduler: Callable[..., PromisebotScheduler],
) -> None:
    add_promise(db, "a", now=MONDAY_9AM)
    schedule = add_schedule(db, created_at=MONDAY_9AM - timedelta(days=1))
    clock.set(MONDAY_9AM - timedelta(days=1))  # no catch-up: last Monday is long gone
    scheduler = make_scheduler()
    scheduler.start()
    assert fake.posted_messages() == []

    clock.set(MONDAY_9AM + timedelta(seconds=2))
    scheduler.run_now(f"digest:{schedule}")

    (message,) = fake.wait_for("chat.postMessage")
    assert message.args["channel"] == "C_DIGEST"


def test_extra_jobs_run_periodically(make_scheduler: Callable[..., PromisebotScheduler]) -> None:
    ran = threading.Event()
    scheduler = make_scheduler(extra_jobs=[("proposals:expire", ran.set, 0.05)])

    scheduler.start()

    assert ran.wait(5)
    scheduler.shutdown(wait=True)
    scheduler.shutdown(wait=True)  # a second shutdown is harmless
