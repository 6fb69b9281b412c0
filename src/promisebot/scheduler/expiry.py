"""The proposal expiry job: expire overdue open proposals, then re-render their roots.

Safe on every replica: each expiry is decided under the promise's row lock.
"""

from __future__ import annotations

import logging

from promisebot.scheduler.jobs import ExtraJob
from promisebot.services.proposals import ProposalService
from promisebot.slack.notify.proposals import ProposalNotifier

log = logging.getLogger(__name__)

EXPIRY_JOB_ID = "proposals:expire"
EXPIRY_INTERVAL_SECONDS = 15 * 60.0


def expire_proposals(proposals: ProposalService, notifier: ProposalNotifier) -> int:
    """Expire overdue proposals and show it on their roots; returns how many expired."""
    expired = proposals.expire_due()
    for proposal in expired:
        notifier.sync_root(proposal)
    if expired:
        log.info("expired %d proposal(s)", len(expired))
    return len(expired)


def expiry_job(
    proposals: ProposalService,
    notifier: ProposalNotifier,
    *,
    every_seconds: float = EXPIRY_INTERVAL_SECONDS,
) -> ExtraJob:
    """For `PromisebotScheduler(extra_jobs=[...])`: id, function, interval."""
    return (EXPIRY_JOB_ID, lambda: expire_proposals(proposals, notifier), every_seconds)
