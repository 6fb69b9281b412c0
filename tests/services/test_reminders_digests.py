"""DigestService on the real database: which promises are due, reviewed / snoozed answers,
and the DigestRun claim protocol."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from promisebot.db.models import AuditEvent, Promise
from promisebot.db.uow import Database
from promisebot.domain import NotAnEditor, PromiseNotFound, Rating
from promisebot.services.reminders import (
    AmbiguousPromise,
    DigestService,
    InvalidSnooze,
    NotStalled,
)
from promisebot.settings import load_settings
from tests.clock import FakeClock
from tests.factories import add_promise, add_schedule, add_tracker
from tests.scheduler.support import EDITOR, MONDAY_9AM, REPORTER, build

NOW = MONDAY_9AM
RETRY = timedelta(minutes=5)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def service(db: Database, clock: FakeClock) -> DigestService:
    return build(db, clock, load_settings(stalled_after_days=30, editors=EDITOR)).digests


def due_ids(service: DigestService, threshold: int | None = None, **kwargs: int) -> list[str]:
    return [item.external_id for item in service.collect_due(threshold, **kwargs).items]


def audit_actions(db: Database) -> list[str]:
    with db.reading() as uow:
        return list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_exactly_the_due_promises_longest_stalled_first(
    service: DigestService, db: Database
) -> None:
    add_promise(db, "stalled-200", now=NOW, stalled_days=200)
    add_promise(db, "stalled-40", now=NOW, stalled_days=40)
    add_promise(db, "stalled-31", now=NOW, stalled_days=31)
    add_promise(db, "stalled-exactly-30", now=NOW, stalled_days=30)
    add_promise(db, "stalled-29", now=NOW, stalled_days=29)
    add_promise(db, "stalled-reviewed", now=NOW, stalled_days=300, reviewed_days=10)
    add_promise(db, "stalled-snoozed", now=NOW, snoozed_until=NOW + timedelta(days=1))
    add_promise(db, "stalled-snooze-over", now=NOW, stalled_days=50, snoozed_until=NOW)
    for rating in Rating:
        if rating is not Rating.STALLED:
            add_promise(db, f"other-{rating.value}", now=NOW, stalled_days=500, rating=rating)

    content = service.collect_due()

    assert [item.external_id for item in content.items] == [
        "stalled-200",
        "stalled-snooze-over",
        "stalled-40",
        "stalled-31",
    ]
    assert (content.total_due, content.threshold_days, content.generated_at) == (4, 30, NOW)
    assert [item.days_stalled for item in content.items] == [200, 50, 40, 31]
    assert content.more == 0


def test_threshold_and_tracker_filter(service: DigestService, db: Database) -> None:
    add_promise(db, "gov-100", now=NOW, stalled_days=100, tracker="gov")
    add_promise(db, "gov-20", now=NOW, stalled_days=20, tracker="gov")
    add_promise(db, "mayor-60", now=NOW, stalled_days=60, tracker="mayor")
    mayor = add_tracker(db, "mayor")

    assert due_ids(service, 10) == ["gov-100", "mayor-60", "gov-20"]
    assert due_ids(service, 90) == ["gov-100"]
    assert due_ids(service, 10, tracker_id=mayor) == ["mayor-60"]


def test_limit_keeps_the_total(service: DigestService, db: Database) -> None:
    for n in range(12):
        add_promise(db, f"p{n:02d}", now=NOW, stalled_days=100 + n)

    content = service.collect_due(limit=5)

    assert [item.external_id for item in content.items] == ["p11", "p10", "p09", "p08", "p07"]
    assert (content.total_due, content.more) == (12, 7)
    assert service.collect_due(limit=0).total_due == 12


def test_items_carry_tracker_and_last_evidence_date(service: DigestService, db: Database) -> None:
    add_promise(db, "with-evidence", now=NOW, evidence_on=date(2026, 5, 1), title="Fix <roads>")
    add_promise(db, "without", now=NOW, stalled_days=90)

    first, second = service.collect_due().items

    assert (first.title, first.tracker_slug, first.tracker_name) == (
        "Fix <roads>",
        "gov",
        "Governor tracker",
    )
    assert first.last_evidence_on == date(2026, 5, 1) and second.last_evidence_on is None
    assert first.stalled_since == NOW - timedelta(days=100)


def test_reviewed_still_stalled_drops_out_until_the_threshold_passes_again(
    service: DigestService, db: Database, clock: FakeClock
) -> None:
    promise_id = add_promise(db, "p1", now=NOW)
    add_promise(db, "p2", now=NOW, stalled_days=50)

    reviewed = service.mark_reviewed(promise_id, EDITOR)

    assert reviewed.last_reviewed_at == NOW and reviewed.reviewed_by == EDITOR
    assert due_ids(service) == ["p2"]
    clock.advance(days=30, seconds=1)
    assert due_ids(service) == ["p1", "p2"]
    assert audit_actions(db) == ["promise.reviewed_still_stalled"]


def test_reviewed_is_for_editors_and_stalled_promises_only(
    service: DigestService, db: Database
) -> None:
    stalled = add_promise(db, "p1", now=NOW)
    kept = add_promise(db, "p2", now=NOW, rating=Rating.PROMISE_KEPT)

    with pytest.raises(NotAnEditor):
        service.mark_reviewed(stalled, REPORTER)
    with pytest.raises(NotStalled, match="Promise Kept"):
        service.mark_reviewed(kept, EDITOR)
    with pytest.raises(PromiseNotFound):
        service.mark_reviewed(99999, EDITOR)

    assert due_ids(service) == ["p1"]
    assert audit_actions(db) == []


def test_snooze_hides_until_it_ends_and_zero_lifts_it(
    service: DigestService, db: Database, clock: FakeClock
) -> None:
    promise_id = add_promise(db, "p1", now=NOW)

    snoozed = service.snooze(promise_id, EDITOR, 7)

    assert snoozed.snoozed_until == NOW + timedelta(days=7)
    assert due_ids(service) == []
    clock.advance(days=7)
    assert due_ids(service) == ["p1"]
    service.snooze(promise_id, EDITOR, 30)
    lifted = service.snooze(promise_id, EDITOR, 0)
    assert lifted.snoozed_until is None and due_ids(service) == ["p1"]
    assert audit_actions(db) == ["promise.snoozed", "promise.snoozed", "promise.unsnoozed"]


def test_bad_snoozes_change_nothing(service: DigestService, db: Database) -> None:
    promise_id = add_promise(db, "p1", now=NOW)

    with pytest.raises(NotAnEditor):
        service.snooze(promise_id, REPORTER, 7)
    with pytest.raises(InvalidSnooze, match="1 to 365"):
        service.snooze(promise_id, EDITOR, 366)
    with pytest.raises(InvalidSnooze):
        service.snooze(promise_id, EDITOR, -1)

    with db.reading() as uow:
        promise = uow.session.get(Promise, promise_id)
        assert promise is not None and promise.snoozed_until is None
    assert audit_actions(db) == []


def test_snooze_by_the_id_editors_type(service: DigestService, db: Database) -> None:
    add_promise(db, "roads", now=NOW, tracker="gov")
    add_promise(db, "roads", now=NOW, tracker="mayor")
    add_promise(db, "schools", now=NOW, tracker="gov")

    assert service.snooze_by_ref("schools", EDITOR, 30).external_id == "schools"
    assert service.snooze_by_ref("mayor/roads", EDITOR, 30).external_id == "roads"
    with pytest.raises(AmbiguousPromise, match="`gov/roads`, `mayor/roads`"):
        service.snooze_by_ref("roads", EDITOR, 30)
    with pytest.raises(PromiseNotFound, match="`nothing`"):
        service.snooze_by_ref("nothing", EDITOR, 30)
    assert [item.tracker_slug for item in service.collect_due().items] == ["gov"]


# -- claims -------------------------------------------------------------------------------


def test_the_second_claim_loses(service: DigestService, db: Database) -> None:
    schedule = add_schedule(db)

    first = service.claim(schedule, "2026-11-30T09:00", "A", retry_after=RETRY)
    second = service.claim(schedule, "2026-11-30T09:00", "B", retry_after=RETRY)
    other_period = service.claim(schedule, "2026-12-07T09:00", "B", retry_after=RETRY)

    assert first is not None and (first.attempt, first.taken_over, first.claimer) == (1, False, "A")
    assert second is None
    assert other_period is not None and other_period.run_id != first.run_id


def test_a_stale_unposted_claim_is_taken_over_once(
    service: DigestService, db: Database, clock: FakeClock
) -> None:
    schedule = add_schedule(db)
    first = service.claim(schedule, "P", "A", retry_after=RETRY)
    assert first is not None

    clock.advance(minutes=4)
    assert service.claim(schedule, "P", "B", retry_after=RETRY) is None
    clock.advance(minutes=2)
    taken = service.claim(schedule, "P", "B", retry_after=RETRY)
    again = service.claim(schedule, "P", "C", retry_after=RETRY)

    assert taken is not None and taken.run_id == first.run_id
    assert (taken.attempt, taken.taken_over, taken.claimer) == (2, True, "B")
    assert again is None  # B's claim is fresh now
    status = service.run_status(schedule, "P")
    assert status is not None and (status.claimed_by, status.attempts) == ("B", 2)


def test_the_claimer_may_retry_its_own_claim_sooner(
    service: DigestService, db: Database, clock: FakeClock
) -> None:
    schedule = add_schedule(db)
    assert service.claim(schedule, "P", "A", retry_after=RETRY) is not None
    clock.advance(seconds=40)

    other = service.claim(schedule, "P", "B", retry_after=RETRY, own_retry_after=timedelta(0))
    own = service.claim(
        schedule, "P", "A", retry_after=RETRY, own_retry_after=timedelta(seconds=30)
    )

    assert other is None
    assert own is not None and own.attempt == 2


def test_a_posted_claim_is_never_run_again(
    service: DigestService, db: Database, clock: FakeClock
) -> None:
    schedule = add_schedule(db)
    claim = service.claim(schedule, "P", "A", retry_after=RETRY)
    assert claim is not None

    assert service.record_posted(claim.run_id, channel_id="C1", message_ts="1.2", item_count=3)
    assert not service.record_posted(claim.run_id, channel_id="C1", message_ts="9.9", item_count=1)
    clock.advance(days=30)

    assert service.claim(schedule, "P", "A", retry_after=RETRY) is None
    assert service.claim(schedule, "P", "B", retry_after=RETRY) is None
    status = service.run_status(schedule, "P")
    assert status is not None and (status.message_ts, status.item_count) == ("1.2", 3)
    assert status.posted_at == NOW
    assert service.unposted_runs() == []
    assert audit_actions(db) == ["digest.claimed", "digest.posted"]


def test_nothing_due_closes_the_period_without_a_message(
    service: DigestService, db: Database
) -> None:
    schedule = add_schedule(db)
    claim = service.claim(schedule, "P", "A", retry_after=RETRY)
    assert claim is not None

    assert service.record_posted(claim.run_id, channel_id="C1", message_ts=None, item_count=0)

    status = service.run_status(schedule, "P")
    assert status is not None and status.posted_at == NOW and status.message_ts is None
    assert service.claim(schedule, "P", "B", retry_after=timedelta(0)) is None


def test_unposted_runs_lists_open_claims(service: DigestService, db: Database) -> None:
    schedule = add_schedule(db)
    open_claim = service.claim(schedule, "P1", "A", retry_after=RETRY)
    done = service.claim(schedule, "P2", "A", retry_after=RETRY)
    assert open_claim is not None and done is not None
    service.record_posted(done.run_id, channel_id="C1", message_ts="1.1", item_count=1)

    assert [run.period_key for run in service.unposted_runs()] == ["P1"]
