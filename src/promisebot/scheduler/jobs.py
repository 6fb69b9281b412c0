"""APScheduler wiring: one job per enabled ReminderSchedule (`digest:<id>`), kept in sync
with the database, plus the catch-up at start, the retry sweep and other periodic jobs.

Running this in every replica is safe: the DigestRun claim decides who posts, not
APScheduler (its job stores are not shared between processes in 3.x).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from promisebot.scheduler.runner import DigestRunner
from promisebot.services import Services
from promisebot.services.reminders import Cadence
from promisebot.slack.messenger import Messenger

log = logging.getLogger(__name__)

DIGEST_JOB_PREFIX = "digest:"
SYNC_JOB = "schedules:sync"
RETRY_JOB = "digests:retry"
CATCH_UP_JOB = "digests:catch_up"

ExtraJob = tuple[str, Callable[[], object], float]
"""(stable job id, function, interval in seconds): e.g. proposal expiry."""


class CadenceTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires exactly at `Cadence` instants. APScheduler's CronTrigger would fire twice on an
    ambiguous fall-back time and 30 min late in a spring gap; this keeps firing times and
    period keys from one source."""

    def __init__(self, cadence: Cadence) -> None:
        self.cadence = cadence

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is not None:
            return self.cadence.next_after(previous_fire_time)
        return self.cadence.next_after(now - timedelta(microseconds=1))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CadenceTrigger) and other.cadence == self.cadence

    def __hash__(self) -> int:
        return hash(self.cadence)

    def __str__(self) -> str:
        days = ",".join(str(day) for day in sorted(self.cadence.days))
        return f"cadence[days={days}, at={self.cadence.hour:02d}:{self.cadence.minute:02d}]"


class PromisebotScheduler:
    """Owns a BackgroundScheduler; `start()` once, `shutdown()` once."""

    def __init__(
        self,
        services: Services,
        messenger: Messenger,
        *,
        claimer_id: str | None = None,
        extra_jobs: Sequence[ExtraJob] = (),
        sync_seconds: float = 30.0,
        retry_seconds: float = 60.0,
    ) -> None:
        self.runner = DigestRunner(services, messenger, claimer_id)
        self._schedules = services.schedules
        self._extra_jobs = list(extra_jobs)
        self._sync_seconds = sync_seconds
        self._retry_seconds = retry_seconds
        self._fingerprint: str | None = None
        self._sync_lock = threading.Lock()
        grace = max(int(timedelta(hours=services.settings.digest_grace_hours).total_seconds()), 1)
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                # After a stall (GC pause, suspended VM) run a late digest once, if still
                # within the grace window; the runner re-checks the window itself.
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": grace,
            },
        )

    def start(self) -> None:
        self.sync()
        add = self._scheduler.add_job
        add(self._sync_quietly, "interval", seconds=self._sync_seconds, id=SYNC_JOB)
        add(self.runner.retry_unposted, "interval", seconds=self._retry_seconds, id=RETRY_JOB)
        # No trigger: runs once, right after start, in the scheduler's thread pool.
        add(self.runner.catch_up, id=CATCH_UP_JOB)
        for job_id, function, seconds in self._extra_jobs:
            add(function, "interval", seconds=seconds, id=job_id)
        self._scheduler.start()
        log.info("scheduler started with %s digest schedule(s)", len(self.digest_job_ids()))

    def shutdown(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)

    def sync(self) -> bool:
        """Rebuild the digest jobs if the enabled schedules changed (in any replica);
        cheap when nothing changed. Listeners may call it right after a change."""
        with self._sync_lock:
            fingerprint = self._schedules.fingerprint()
            if fingerprint == self._fingerprint:
                return False
            wanted = {
                f"{DIGEST_JOB_PREFIX}{schedule.id}": schedule
                for schedule in self._schedules.enabled()
            }
            for job_id in self.digest_job_ids():
                if job_id not in wanted:
                    self._scheduler.remove_job(job_id)
            for job_id, schedule in wanted.items():
                trigger = CadenceTrigger(schedule.cadence)
                existing = self._scheduler.get_job(job_id)
                if existing is not None and existing.trigger == trigger:
                    continue
                self._scheduler.add_job(
                    self.runner.run_due,
                    trigger,
                    args=[schedule.id],
                    id=job_id,
                    name=f"digest for {schedule.channel_id}: {schedule.description}",
                    replace_existing=True,
                )
            self._fingerprint = fingerprint
            log.info("digest jobs in sync: %s", sorted(wanted) or "none")
            return True

    def _sync_quietly(self) -> None:
        try:
            self.sync()
        except Exception:
            log.exception("could not sync digest schedules; keeping the current jobs")

    def digest_job_ids(self) -> list[str]:
        return sorted(
            job.id for job in self._scheduler.get_jobs() if job.id.startswith(DIGEST_JOB_PREFIX)
        )

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

    def next_run_time(self, job_id: str) -> datetime | None:
        job: Any = self._scheduler.get_job(job_id)
        # Jobs added before start() get their first run time only when the scheduler starts.
        return getattr(job, "next_run_time", None) if job is not None else None

    def run_now(self, job_id: str) -> None:
        """Make a job due immediately (operators, tests); the scheduler thread runs it."""
        self._scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
