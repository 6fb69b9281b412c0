"""Shared helpers for the digest tests: promises in a chosen state, schedules, block checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from promisebot.bootstrap import build_services
from promisebot.db.models import Evidence, Promise, ReminderSchedule, Tracker
from promisebot.db.uow import Database
from promisebot.domain import Clock, Rating
from promisebot.services import Services
from promisebot.settings import Settings, load_settings

# Monday 30 Nov 2026, 09:00 in New York (EST, UTC-5).
MONDAY_9AM = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"  # as a daily schedule's days are stored
EDITOR = "U_EDITOR"
REPORTER = "U_REPORTER"


def build(db: Database, clock: Clock, settings: Settings | None = None) -> Services:
    """The real services, composed as `bootstrap` does; EDITOR is the one editor unless
    `settings` say otherwise."""
    return build_services(settings or load_settings(editors=EDITOR), db, clock)


def add_tracker(db: Database, slug: str = "gov", name: str = "Governor tracker") -> int:
    with db.transaction() as uow:
        tracker = uow.session.scalars(select(Tracker).where(Tracker.slug == slug)).first()
        if tracker is None:
            tracker = Tracker(slug=slug, name=name, subject="The Governor")
            uow.session.add(tracker)
            uow.session.flush()
        tracker_id = tracker.id
        uow.commit()
    return tracker_id


def add_promise(
    db: Database,
    external_id: str,
    *,
    now: datetime,
    stalled_days: float = 100,
    reviewed_days: float | None = None,
    rating: Rating = Rating.STALLED,
    snoozed_until: datetime | None = None,
    tracker: str = "gov",
    title: str | None = None,
    evidence_on: date | None = None,
) -> int:
    """A promise rated `stalled_days` ago and last reviewed `reviewed_days` ago (default:
    when it was rated)."""
    tracker_id = add_tracker(db, tracker)
    rated_at = now - timedelta(days=stalled_days)
    reviewed_at = now - timedelta(days=reviewed_days if reviewed_days is not None else stalled_days)
    with db.transaction() as uow:
        promise = Promise(
            tracker_id=tracker_id,
            external_id=external_id,
            title=title or f"Promise {external_id}",
            current_rating=rating,
            rated_at=rated_at,
            last_reviewed_at=reviewed_at,
            snoozed_until=snoozed_until,
        )
        if evidence_on is not None:
            promise.evidence.append(
                Evidence(
                    url=f"https://news.example/{external_id}",
                    published_on=evidence_on,
                    added_at=rated_at,
                )
            )
        uow.session.add(promise)
        uow.session.flush()
        promise_id = promise.id
        uow.commit()
    return promise_id


def add_schedule(
    db: Database,
    *,
    channel: str = "C_DIGEST",
    days: str = "mon",
    at: str = "09:00",
    timezone: str = "America/New_York",
    threshold: int = 30,
    created_at: datetime = datetime(2026, 1, 1, tzinfo=UTC),
) -> int:
    with db.transaction() as uow:
        row = ReminderSchedule(
            channel_id=channel,
            days_of_week=days,
            local_time=at,
            timezone=timezone,
            stalled_after_days=threshold,
            enabled=True,
            created_by=EDITOR,
            created_at=created_at,
            updated_at=created_at,
        )
        uow.session.add(row)
        uow.session.flush()
        schedule_id = row.id
        uow.commit()
    return schedule_id
