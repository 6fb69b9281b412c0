"""The root sweep: an open proposal whose thread root was never recorded gets it back — found
by its message metadata in the channel's history, or posted again — so replies count again.

Safe on every replica: the first root recorded wins, and a replica that loses deletes its post.
"""

from __future__ import annotations

from datetime import timedelta

from promisebot.domain import Clock
from promisebot.scheduler.jobs import ExtraJob
from promisebot.slack.notify.proposals import ProposalNotifier

ROOTS_JOB_ID = "proposals:roots"
ROOTS_INTERVAL_SECONDS = 60.0
# A root being posted right now is not missing: only proposals older than this are swept.
ROOTS_GRACE = timedelta(minutes=2)
# Past this, a root Slack keeps refusing (the bot is not in the channel) is the proposer's
# to post elsewhere or withdraw (the notice's buttons), not the sweep's to retry forever.
ROOTS_WINDOW = timedelta(minutes=30)


def recover_roots(notifier: ProposalNotifier, clock: Clock) -> int:
    """Recover the missing roots; returns how many got one."""
    now = clock()
    return notifier.recover_roots(now - ROOTS_WINDOW, now - ROOTS_GRACE)


def roots_job(
    notifier: ProposalNotifier, clock: Clock, *, every_seconds: float = ROOTS_INTERVAL_SECONDS
) -> ExtraJob:
    """For `PromisebotScheduler(extra_jobs=[...])`: id, function, interval."""
    return (ROOTS_JOB_ID, lambda: recover_roots(notifier, clock), every_seconds)
