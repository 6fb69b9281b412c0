"""Still-stalled digests: which promises are due (still stalled, and past their deadline),
the editors' answers to a digest (reviewed — still stalled, snooze), and the DigestRun
claim protocol for exactly-once posts."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from promisebot import changes
from promisebot.db.models import DigestRun, Promise
from promisebot.db.uow import Database, UnitOfWork
from promisebot.domain import (
    SYSTEM_ACTOR,
    Clock,
    Deadline,
    PromiseNotFound,
    Rating,
    check_single_match,
    days_between,
)
from promisebot.services.permissions import Permissions
from promisebot.services.reminders.cadence import STALLED
from promisebot.services.reminders.records import (
    DigestAnswer,
    DigestClaim,
    DigestContent,
    DigestItem,
    DigestRunInfo,
    InvalidSnooze,
    NotStalled,
    OverdueItem,
    PromiseReviewed,
    PromiseSnoozed,
)
from promisebot.settings import Settings

DEFAULT_LIMIT = 20
# Promises a digest run tells followers about (as entering the digest), at most.
STALLED_NOTICES_MAX = 200
REVIEWED, SNOOZED, UNSNOOZED = (
    "promise.reviewed_still_stalled",
    "promise.snoozed",
    "promise.unsnoozed",
)
SNOOZE_MAX_DAYS = 365
SNOOZE_CHOICES = (7, 30, 90)
SNOOZE = "snooze reminders"


class DigestService:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, permissions: Permissions
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._permissions = permissions

    # -- what is due -------------------------------------------------------------------

    def collect_due(
        self,
        threshold_days: int | None = None,
        tracker_id: int | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> DigestContent:
        """Both sections, each capped at `limit` (with `limit` 0, only the stalled total)."""
        threshold = threshold_days or self._settings.stalled_after_days
        now = self._clock()
        cutoff = now - timedelta(days=threshold)
        tz = self._settings.tz
        today = now.astimezone(tz).date()
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                rows = uow.digests.due_promises(
                    reviewed_before=cutoff, now=now, tracker_id=tracker_id, limit=limit
                )
                total = rows[0].total if rows else 0
                if not rows and limit == 0:
                    total = uow.digests.count_due(
                        reviewed_before=cutoff, now=now, tracker_id=tracker_id
                    )
                overdue_rows = uow.digests.overdue_promises(
                    today=today,
                    reviewed_before=cutoff,
                    now=now,
                    tracker_id=tracker_id,
                    limit=limit,
                )
        overdue = tuple(
            OverdueItem(
                promise_id=row.id,
                external_id=row.external_id,
                title=row.title,
                tracker_slug=row.tracker_slug,
                tracker_name=row.tracker_name,
                rating=row.rating,
                deadline=Deadline(row.due_on, row.due_label, (row.due_on - today).days, False),
            )
            for row in overdue_rows
        )
        items = tuple(
            DigestItem(
                promise_id=row.id,
                external_id=row.external_id,
                title=row.title,
                tracker_slug=row.tracker_slug,
                tracker_name=row.tracker_name,
                stalled_since=row.rated_at,
                days_stalled=days_between(row.rated_at.astimezone(tz), now.astimezone(tz)),
                last_reviewed_at=row.last_reviewed_at,
                last_evidence_on=_evidence_day(row.latest_published_on, row.latest_added_at, tz),
            )
            for row in rows
        )
        return DigestContent(
            items,
            int(total),
            threshold,
            now,
            tracker_id,
            overdue=overdue,
            overdue_total=overdue_rows[0].total if overdue_rows else 0,
        )

    # -- answers to a digest -------------------------------------------------------------

    def mark_reviewed(self, promise_id: int, user: str) -> PromiseReviewed:
        """ "Reviewed — still stalled": the promise leaves digests for another threshold."""
        self._permissions.require_editor(user, "mark promises as reviewed")
        now = self._clock()
        for attempt in self._db.attempts():
            with attempt as uow:
                promise = uow.promises.lock(promise_id)
                if promise is None:
                    raise PromiseNotFound()
                result = PromiseReviewed(promise.id, promise.external_id, promise.title, now, user)
                if uow.after_unknown_commit and promise.last_reviewed_at == now:
                    break  # the lost COMMIT did land
                if promise.current_rating is not Rating.STALLED:
                    raise NotStalled(promise.external_id, promise.current_rating)
                previous = promise.last_reviewed_at
                promise.last_reviewed_at = now
                promise.updated_at = now
                uow.audit.record(
                    actor=user,
                    action=REVIEWED,
                    subject_type="promise",
                    subject_id=promise.id,
                    at=now,
                    previous_reviewed_at=previous.isoformat(),
                )
                uow.commit()
        return result

    def snooze(self, promise_id: int, user: str, days: int) -> PromiseSnoozed:
        """Keep a promise out of digests for `days` (1 to 365); 0 lifts a snooze."""
        self._permissions.require_editor(user, SNOOZE)
        for attempt in self._db.attempts():
            with attempt as uow:
                promise = uow.promises.lock(promise_id)
                if promise is None:
                    raise PromiseNotFound()
                result = self._snooze(uow, promise, user, days)
                uow.commit()
        return result

    def snooze_by_ref(self, ref: str, user: str, days: int) -> PromiseSnoozed:
        """`/promise snooze <id> <days>`: the id is the external id, or `tracker/id`."""
        self._permissions.require_editor(user, SNOOZE)
        for attempt in self._db.attempts():
            with attempt as uow:
                matches = uow.promises.by_ref(ref)
                check_single_match(ref, [f"{p.tracker.slug}/{p.external_id}" for p in matches])
                promise = uow.promises.lock(matches[0].id)
                assert promise is not None
                result = self._snooze(uow, promise, user, days)
                uow.commit()
        return result

    def _snooze(self, uow: UnitOfWork, promise: Promise, user: str, days: int) -> PromiseSnoozed:
        if not 0 <= days <= SNOOZE_MAX_DAYS:
            raise InvalidSnooze(f"Snooze for 1 to {SNOOZE_MAX_DAYS} days (0 lifts a snooze).")
        now = self._clock()
        until = now + timedelta(days=days) if days else None
        result = PromiseSnoozed(promise.id, promise.external_id, promise.title, until, user)
        if uow.after_unknown_commit and (promise.snoozed_until, promise.updated_at) == (until, now):
            return result  # the lost COMMIT did land
        promise.snoozed_until = until
        promise.updated_at = now
        uow.audit.record(
            actor=user,
            action=SNOOZED if until else UNSNOOZED,
            subject_type="promise",
            subject_id=promise.id,
            at=now,
            days=days,
            until=until.isoformat() if until else None,
        )
        return result

    def answers(
        self, channel_id: str, message_ts: str, promise_ids: Collection[int]
    ) -> dict[int, DigestAnswer]:
        """The answers given to a posted digest's items since it was posted (from any
        replica, button or command), so its message can be re-rendered from the database."""
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                run = uow.digests.run_at_message(channel_id, message_ts)
                # A run's claim precedes its post; a digest posted by hand has only its ts.
                since = run.claimed_at if run is not None else _ts_time(message_ts)
                events = uow.audit.latest(
                    subject_type="promise",
                    subject_ids=promise_ids,
                    actions=(REVIEWED, SNOOZED, UNSNOOZED),
                    since=since,
                )
                answers: dict[int, DigestAnswer] = {}
                for subject, event in events.items():
                    until = event.details.get("until")
                    kind: Literal["reviewed", "snoozed", "unsnoozed"] = (
                        "reviewed"
                        if event.action == REVIEWED
                        else "snoozed"
                        if event.action == SNOOZED
                        else "unsnoozed"
                    )
                    answers[int(subject)] = DigestAnswer(
                        promise_id=int(subject),
                        kind=kind,
                        by=event.actor,
                        days=int(event.details.get("days") or 0),
                        until=datetime.fromisoformat(until) if until else None,
                    )
        return answers

    # -- exactly-once claims -------------------------------------------------------------

    def claim(
        self,
        schedule_id: int,
        period_key: str,
        claimer: str,
        *,
        retry_after: timedelta,
        own_retry_after: timedelta = timedelta(0),
    ) -> DigestClaim | None:
        """Claim the right to post one schedule's digest for one period.

        The first claim inserts the DigestRun row. Later calls win only while the run is
        unposted and its claim is older than `retry_after` (the claimer died or failed),
        or is this claimer's own and older than `own_retry_after`. Losers get None.
        """
        now = self._clock()
        for retry in self._db.attempts():
            with retry as uow:
                if uow.after_unknown_commit:
                    run = uow.digests.run_for(schedule_id, period_key)
                    if run and (run.claimed_by, run.claimed_at) == (claimer, now):
                        # The lost COMMIT did land: the claim is ours.
                        attempt, taken_over = run.attempts, run.attempts > 1
                        return DigestClaim(
                            run.id, schedule_id, period_key, claimer, now, attempt, taken_over
                        )
                run_id = uow.digests.insert_claim(
                    schedule_id=schedule_id, period_key=period_key, claimer=claimer, at=now
                )
                attempt, taken_over = 1, False
                if run_id is None:
                    taken = uow.digests.take_over_claim(
                        schedule_id=schedule_id,
                        period_key=period_key,
                        claimer=claimer,
                        at=now,
                        stale_before=now - retry_after,
                        own_before=now - own_retry_after,
                    )
                    if taken is None:
                        return None
                    (run_id, attempt), taken_over = taken, True
                uow.audit.record(
                    actor=SYSTEM_ACTOR,
                    action="digest.claimed",
                    subject_type="digest_run",
                    subject_id=run_id,
                    at=now,
                    schedule_id=schedule_id,
                    period_key=period_key,
                    claimer=claimer,
                    attempt=attempt,
                )
                self._tell_followers(uow, schedule_id, now)
                claim = DigestClaim(
                    run_id, schedule_id, period_key, claimer, now, attempt, taken_over
                )
                uow.commit()
        return claim

    def _tell_followers(self, uow: UnitOfWork, schedule_id: int, now: datetime) -> None:
        """Outbox the promises this still-stalled digest lists, each once per review cycle
        (a re-claim or the next week's digest writes nothing new for them)."""
        schedule = uow.schedules.get(schedule_id)
        if schedule is None or schedule.kind != STALLED:
            return
        due = uow.digests.due_promises(
            reviewed_before=now - timedelta(days=schedule.stalled_after_days),
            now=now,
            tracker_id=schedule.tracker_id,
            limit=STALLED_NOTICES_MAX,
        )
        for row in due:
            uow.outbox.add(
                changes.entered_stalled_digest(
                    row.id,
                    at=now,
                    stalled_since=row.rated_at,
                    last_reviewed_at=row.last_reviewed_at,
                )
            )

    def record_posted(
        self, run_id: int, *, channel_id: str, message_ts: str | None, item_count: int
    ) -> bool:
        """Mark a claimed run done: posted (`message_ts`) or nothing to post (None)."""
        now = self._clock()
        for attempt in self._db.attempts():
            with attempt as uow:
                recorded = uow.digests.mark_posted(
                    run_id,
                    at=now,
                    channel_id=channel_id,
                    message_ts=message_ts,
                    item_count=item_count,
                )
                if not recorded:
                    # After a lost COMMIT, the run recorded with this very post is ours.
                    return uow.after_unknown_commit and uow.digests.posted_as(
                        run_id, channel_id, message_ts, at=now
                    )
                uow.audit.record(
                    actor=SYSTEM_ACTOR,
                    action="digest.posted" if message_ts else "digest.nothing_due",
                    subject_type="digest_run",
                    subject_id=run_id,
                    at=now,
                    channel_id=channel_id,
                    message_ts=message_ts,
                    item_count=item_count,
                )
                uow.commit()
        return True

    def unposted_runs(self, limit: int = 100) -> list[DigestRunInfo]:
        """Claimed, never-posted runs of enabled schedules (for the retry sweep)."""
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                runs = [_run_info(row) for row in uow.digests.unposted_runs(limit=limit)]
        return runs

    def run_status(self, schedule_id: int, period_key: str) -> DigestRunInfo | None:
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                row = uow.digests.run_for(schedule_id, period_key)
                status = _run_info(row) if row else None
        return status


def _ts_time(message_ts: str) -> datetime:
    """A Slack message ts is its post time in seconds since the epoch."""
    try:
        return datetime.fromtimestamp(float(message_ts), UTC)
    except (ValueError, OverflowError):
        return datetime.fromtimestamp(0, UTC)


def _evidence_day(published: date | None, added: datetime | None, tz: ZoneInfo) -> date | None:
    """The newest evidence's date: its publication date, else the day it was added."""
    if published is not None:
        return published
    return added.astimezone(tz).date() if added is not None else None


def _run_info(row: DigestRun) -> DigestRunInfo:
    return DigestRunInfo(
        run_id=row.id,
        schedule_id=row.schedule_id,
        period_key=row.period_key,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        attempts=row.attempts,
        posted_at=row.posted_at,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        item_count=row.item_count,
    )
