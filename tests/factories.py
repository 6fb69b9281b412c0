"""Rows for tests, written through the real unit of work: trackers, promises in a chosen
state, reminder schedules. Each returns the new row's id."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from promisebot.db.models import Evidence, Promise, ReminderSchedule, Tracker
from promisebot.db.uow import Database
from promisebot.domain import Rating


def _insert(db: Database, row: Tracker | Promise | ReminderSchedule) -> int:
    with db.transaction() as uow:
        uow.session.add(row)
        uow.session.flush()
        row_id = row.id
        uow.commit()
    return row_id


def add_tracker(db: Database, slug: str = "gov", name: str = "Governor tracker") -> int:
    """The tracker with this slug, created if it is not there yet."""
    with db.reading() as uow:
        tracker_id = uow.session.scalars(select(Tracker.id).where(Tracker.slug == slug)).first()
    if tracker_id is not None:
        return tracker_id
    return _insert(db, Tracker(slug=slug, name=name, subject="The Governor"))


def add_promise(
    db: Database,
    external_id: str = "police-liability",
    *,
    now: datetime,
    stalled_days: float = 100,
    reviewed_days: float | None = None,
    rating: Rating = Rating.STALLED,
    snoozed_until: datetime | None = None,
    tracker: str = "gov",
    title: str | None = None,
    evidence_on: date | None = None,
    evidence_url: str | None = None,
) -> int:
    """A promise rated `stalled_days` before `now` and last reviewed `reviewed_days` before
    it (default: when it was rated). With `evidence_on` or `evidence_url`, one piece of
    evidence added when it was rated."""
    tracker_id = add_tracker(db, tracker)
    rated_at = now - timedelta(days=stalled_days)
    reviewed_at = now - timedelta(days=reviewed_days if reviewed_days is not None else stalled_days)
    promise = Promise(
        tracker_id=tracker_id,
        external_id=external_id,
        title=title or f"Promise {external_id}",
        current_rating=rating,
        rated_at=rated_at,
        last_reviewed_at=reviewed_at,
        snoozed_until=snoozed_until,
    )
    if evidence_on is not None or evidence_url is not None:
        promise.evidence.append(
            Evidence(
                url=evidence_url or f"https://news.example/{external_id}",
                published_on=evidence_on,
                added_at=rated_at,
            )
        )
    return _insert(db, promise)


def add_schedule(
    db: Database,
    *,
    channel: str = "C_DIGEST",
    days: str = "mon",
    at: str = "09:00",
    timezone: str = "America/New_York",
    threshold: int = 30,
    created_by: str = "U_EDITOR",
    created_at: datetime = datetime(2026, 1, 1, tzinfo=UTC),
) -> int:
    row = ReminderSchedule(
        channel_id=channel,
        days_of_week=days,
        local_time=at,
        timezone=timezone,
        stalled_after_days=threshold,
        enabled=True,
        created_by=created_by,
        created_at=created_at,
        updated_at=created_at,
    )
    return _insert(db, row)
