"""ScheduleService on the real database: creating, listing and turning off reminder
schedules (editors only, audited), and the fingerprint replicas sync on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from promisebot.db.models import AuditEvent, ReminderSchedule
from promisebot.db.uow import Database
from promisebot.domain import NotAnEditor, UnknownTracker
from promisebot.services.reminders import (
    DuplicateSchedule,
    ScheduleNotFound,
    ScheduleService,
    ScheduleSpec,
    TooManySchedules,
    UnknownTimezone,
)
from promisebot.settings import load_settings
from tests.clock import FakeClock
from tests.factories import add_tracker
from tests.scheduler.support import EDITOR, REPORTER, build

# Wednesday 25 Nov 2026, 10:00 in New York.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def service(db: Database) -> ScheduleService:
    settings = load_settings(stalled_after_days=45, editors=EDITOR)
    return build(db, FakeClock(NOW), settings).schedules


def test_create_stores_the_schedule_with_defaults_and_audits(
    service: ScheduleService, db: Database
) -> None:
    info = service.create("C1", EDITOR, ScheduleSpec((0, 3), 9, 0))

    assert info.channel_id == "C1" and info.days == (0, 3) and info.local_time == "09:00"
    assert info.timezone == "America/New_York" and info.threshold_days == 45
    assert info.description == "Mon, Thu at 09:00 (America/New_York)"
    # Next: Thursday 26 Nov 2026 09:00 EST, in the schedule's zone.
    assert info.next_run is not None
    assert info.next_run.isoformat() == "2026-11-26T09:00:00-05:00"
    with db.reading() as uow:
        row = uow.session.get(ReminderSchedule, info.id)
        assert row is not None and row.days_of_week == "mon,thu" and row.enabled
        event = uow.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor) == ("schedule.created", EDITOR)
        assert event.subject_id == str(info.id) and event.details["days"] == "mon,thu"


def test_create_with_a_tracker_and_zone(service: ScheduleService, db: Database) -> None:
    add_tracker(db, "gov")

    info = service.create(
        "C1", EDITOR, ScheduleSpec((4,), 17, 0, 10), "gov", timezone="Europe/London"
    )

    assert (info.tracker_slug, info.threshold_days, info.timezone) == ("gov", 10, "Europe/London")
    assert info.next_run is not None and info.next_run.isoformat() == "2026-11-27T17:00:00+00:00"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.create("C1", REPORTER, ScheduleSpec((0,), 9, 0)), NotAnEditor),
        (lambda s: s.create("C1", EDITOR, ScheduleSpec((0,), 9, 0), "nope"), UnknownTracker),
        (
            lambda s: s.create("C1", EDITOR, ScheduleSpec((0,), 9, 0), timezone="Mars/Base"),
            UnknownTimezone,
        ),
    ],
)
def test_bad_creates_change_nothing(
    service: ScheduleService, db: Database, call: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(service)  # type: ignore[operator]

    with db.reading() as uow:
        assert uow.session.scalars(select(ReminderSchedule)).all() == []
        assert uow.session.scalars(select(AuditEvent)).all() == []


def test_duplicates_and_too_many_are_refused(service: ScheduleService) -> None:
    first = service.create("C1", EDITOR, ScheduleSpec((0,), 9, 0))
    with pytest.raises(DuplicateSchedule, match=f"#{first.id}"):
        service.create("C1", EDITOR, ScheduleSpec((0,), 9, 0))
    service.create("C2", EDITOR, ScheduleSpec((0,), 9, 0))  # another channel is fine
    for hour in range(10, 19):
        service.create("C1", EDITOR, ScheduleSpec((0,), hour, 0))
    with pytest.raises(TooManySchedules):
        service.create("C1", EDITOR, ScheduleSpec((0,), 20, 0))


def test_list_shows_enabled_schedules_with_next_run(service: ScheduleService) -> None:
    a = service.create("C1", EDITOR, ScheduleSpec((0,), 9, 0))
    b = service.create("C2", EDITOR, ScheduleSpec(tuple(range(7)), 8, 0))
    service.create("C1", EDITOR, ScheduleSpec((4,), 12, 0))
    service.disable(a.id, EDITOR)

    listed = service.list_channel("C1", EDITOR)
    everything = service.enabled()

    assert [info.description for info in listed] == ["Fri at 12:00 (America/New_York)"]
    assert b.id in [info.id for info in everything] and a.id not in [i.id for i in everything]
    daily = next(info for info in everything if info.id == b.id)
    assert daily.next_run is not None and daily.next_run.isoformat() == "2026-11-26T08:00:00-05:00"


def test_disable_is_editor_only_idempotent_and_audited(
    service: ScheduleService, db: Database
) -> None:
    info = service.create("C1", EDITOR, ScheduleSpec((0,), 9, 0))
    with pytest.raises(NotAnEditor):
        service.disable(info.id, REPORTER)
    with pytest.raises(ScheduleNotFound):
        service.disable(info.id, EDITOR, channel_id="C_OTHER")
    with pytest.raises(ScheduleNotFound):
        service.disable(9999, EDITOR)

    off = service.disable(info.id, EDITOR, channel_id="C1")
    again = service.disable(info.id, EDITOR)

    assert not off.enabled and off.next_run is None and not again.enabled
    with db.reading() as uow:
        actions = uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["schedule.created", "schedule.disabled"]


def test_fingerprint_changes_with_any_replicas_changes(
    service: ScheduleService, db: Database
) -> None:
    empty = service.fingerprint()
    other_replica = build(db, FakeClock(NOW)).schedules

    created = other_replica.create("C1", EDITOR, ScheduleSpec((0,), 9, 0))
    after_create = service.fingerprint()
    assert after_create != empty
    assert service.fingerprint() == after_create  # stable while nothing changes

    other_replica.disable(created.id, EDITOR)
    assert service.fingerprint() not in (after_create,)
