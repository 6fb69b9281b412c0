"""Scheduled work: still-stalled digests fired per ReminderSchedule (exactly once across
replicas through DigestRun claims) and other periodic jobs, on APScheduler."""

from promisebot.scheduler.jobs import CadenceTrigger, ExtraJob, PromisebotScheduler
from promisebot.scheduler.runner import DigestRunner, RunOutcome, RunStatus

__all__ = [
    "CadenceTrigger",
    "DigestRunner",
    "ExtraJob",
    "PromisebotScheduler",
    "RunOutcome",
    "RunStatus",
]
