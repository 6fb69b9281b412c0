"""Running one scheduled digest: claim the (schedule, period) → collect → render → post →
record. Also the catch-up after downtime and the sweep that retries unposted claims."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from promisebot.services import Services
from promisebot.services.reminders import CHANGES, ScheduleInfo
from promisebot.slack.blocks.common import Message
from promisebot.slack.blocks.digest import render_digest
from promisebot.slack.blocks.follows import changes_message, thread_links
from promisebot.slack.messenger import Messenger

log = logging.getLogger(__name__)

# Longer than one post can take with the client's own retries (429 waits, 5xx backoff),
# so a live claimer is never overtaken by another replica.
DEFAULT_RETRY_AFTER = timedelta(minutes=5)
DEFAULT_OWN_RETRY_AFTER = timedelta(seconds=30)
DEFAULT_MAX_ATTEMPTS = 10


class RunStatus(StrEnum):
    POSTED = "posted"
    NOTHING_DUE = "nothing_due"  # period done, nothing posted (all-clear posts are off)
    NOT_CLAIMED = "not_claimed"  # done already, or another process holds the claim
    FAILED = "failed"  # Slack did not take it; the claim stays unposted and is retried
    SKIPPED = "skipped"  # schedule gone or off, or the period is outside the grace window


@dataclass(frozen=True, slots=True)
class RunOutcome:
    schedule_id: int
    period_key: str
    status: RunStatus
    message_ts: str | None = None
    item_count: int = 0


def default_claimer_id() -> str:
    """Unique per process: a restarted process is a new claimer."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DigestRunner:
    def __init__(
        self,
        services: Services,
        messenger: Messenger,
        claimer_id: str | None = None,
        *,
        retry_after: timedelta = DEFAULT_RETRY_AFTER,
        own_retry_after: timedelta = DEFAULT_OWN_RETRY_AFTER,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.claimer_id = (claimer_id or default_claimer_id())[:100]
        self._settings = services.settings
        self._messenger = messenger
        self._clock = services.clock
        self._retry_after = retry_after
        self._own_retry_after = own_retry_after
        self._max_attempts = max_attempts
        self._schedules = services.schedules
        self._digests = services.digests
        self._outbox = services.outbox
        # The fire job and the retry sweep run in different threads; never both on one run.
        self._in_flight: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self._settings.digest_grace_hours)

    def run_schedule(self, schedule_id: int, fire_time: datetime) -> RunOutcome:
        """Post the digest of the period that fires at `fire_time`, unless done elsewhere."""
        schedule = self._schedules.get(schedule_id)
        if schedule is None or not schedule.enabled:
            return RunOutcome(schedule_id, "", RunStatus.SKIPPED)
        return self._run(schedule, schedule.cadence.period_key(fire_time))

    def run_due(self, schedule_id: int) -> RunOutcome:
        """The scheduled job: the most recent period, if it fired within the grace window."""
        schedule = self._schedules.get(schedule_id)
        if schedule is None or not schedule.enabled:
            return RunOutcome(schedule_id, "", RunStatus.SKIPPED)
        now = self._clock()
        fire = schedule.cadence.latest_at_or_before(now)
        period_key = schedule.cadence.period_key(fire)
        # A schedule created after its period's fire time has nothing to catch up on.
        if now - fire > self.grace or fire < schedule.created_at:
            return RunOutcome(schedule_id, period_key, RunStatus.SKIPPED)
        return self._run(schedule, period_key)

    def catch_up(self) -> list[RunOutcome]:
        """After downtime: each schedule's most recent period if within the grace window —
        one digest per schedule at most, never a burst of older periods."""
        outcomes = [self.run_due(schedule.id) for schedule in self._schedules.enabled()]
        return [outcome for outcome in outcomes if outcome.status is not RunStatus.SKIPPED]

    def retry_unposted(self) -> list[RunOutcome]:
        """Retry claims that never got posted (failed post, or claimer died) once they are
        stale. Only a schedule's latest period is retried: a newer digest supersedes it."""
        now = self._clock()
        outcomes = []
        for run in self._digests.unposted_runs():
            schedule = self._schedules.get(run.schedule_id)
            if schedule is None or not schedule.enabled:
                continue
            latest = schedule.cadence.period_key(schedule.cadence.latest_at_or_before(now))
            if run.period_key != latest:
                continue
            if run.attempts >= self._max_attempts:
                log.error(
                    "digest for schedule %s, period %s was not posted after %s attempts; "
                    "giving up on it",
                    run.schedule_id,
                    run.period_key,
                    run.attempts,
                )
                continue
            outcome = self._run(schedule, run.period_key)
            if outcome.status is not RunStatus.NOT_CLAIMED:
                outcomes.append(outcome)
        return outcomes

    def _run(self, schedule: ScheduleInfo, period_key: str) -> RunOutcome:
        key = (schedule.id, period_key)
        with self._lock:
            if key in self._in_flight:
                return RunOutcome(schedule.id, period_key, RunStatus.NOT_CLAIMED)
            self._in_flight.add(key)
        try:
            return self._claim_and_post(schedule, period_key)
        finally:
            with self._lock:
                self._in_flight.discard(key)

    def _claim_and_post(self, schedule: ScheduleInfo, period_key: str) -> RunOutcome:
        claim = self._digests.claim(
            schedule.id,
            period_key,
            self.claimer_id,
            retry_after=self._retry_after,
            own_retry_after=self._own_retry_after,
        )
        if claim is None:
            return RunOutcome(schedule.id, period_key, RunStatus.NOT_CLAIMED)
        message, count = self._content(schedule, period_key)
        if message is None:
            self._digests.record_posted(
                claim.run_id, channel_id=schedule.channel_id, message_ts=None, item_count=0
            )
            return RunOutcome(schedule.id, period_key, RunStatus.NOTHING_DUE)
        try:
            posted = self._messenger.post(schedule.channel_id, message)
        except Exception:
            # Whatever went wrong (Slack refused, retries ran out, network), the claim stays
            # unposted so the retry sweep posts it later: never lost.
            log.exception(
                "posting the digest for schedule %s, period %s failed (attempt %s)",
                schedule.id,
                period_key,
                claim.attempt,
            )
            return RunOutcome(schedule.id, period_key, RunStatus.FAILED)
        recorded = self._digests.record_posted(
            claim.run_id,
            channel_id=posted.channel,
            message_ts=posted.ts,
            item_count=count,
        )
        if not recorded:
            log.error("digest run %s was already recorded as posted", claim.run_id)
        log.info(
            "posted the digest for schedule %s, period %s (%s items)",
            schedule.id,
            period_key,
            count,
        )
        return RunOutcome(schedule.id, period_key, RunStatus.POSTED, posted.ts, count)

    def _content(self, schedule: ScheduleInfo, period_key: str) -> tuple[Message | None, int]:
        """The message for the period and how many items it covers; None: nothing to post."""
        tz = ZoneInfo(schedule.timezone)
        if schedule.kind == CHANGES:
            # The window is fixed by the period, so a retried run lists the same changes.
            end = schedule.cadence.fire_time_of(period_key)
            changes = self._outbox.changes(
                schedule.cadence.previous_before(end),
                end,
                tracker_id=schedule.tracker_id,
                tracker_slug=schedule.tracker_slug,
            )
            if not changes.total:
                return None, 0
            links = thread_links(changes.items, self._messenger.permalink)
            return changes_message(changes, tz, links), changes.total
        content = self._digests.collect_due(schedule.threshold_days, schedule.tracker_id)
        if content.is_empty and not self._settings.digest_post_all_clear:
            return None, 0
        return render_digest(content, tz), content.item_count
