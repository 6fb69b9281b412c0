"""The services: one module (or small package) per feature, no SQL and no Slack here.

`Services` is the set the entry points (Slack listeners, scheduler, CLI) work with;
`promisebot.bootstrap` builds it once per process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from promisebot.db.uow import Database
from promisebot.domain import Clock
from promisebot.services.deadlines import DeadlineService
from promisebot.services.evidence import EvidenceService, LinkTitleFetcher
from promisebot.services.follows import FollowService, OutboxService
from promisebot.services.home import HomeService
from promisebot.services.lookup import LookupService
from promisebot.services.lookup.aliases import AliasService
from promisebot.services.permissions import Permissions
from promisebot.services.proposals import ProposalService
from promisebot.services.reminders import DigestService, ScheduleService
from promisebot.services.trackers import TrackerService
from promisebot.settings import Settings


def no_schedule_hook() -> None:
    """The default `on_schedules_changed`: no scheduler in this process."""


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    permissions: Permissions
    lookup: LookupService
    evidence: EvidenceService
    home: HomeService
    link_titles: LinkTitleFetcher | None  # None when PROMISEBOT_FETCH_LINK_TITLES is off
    trackers: TrackerService
    schedules: ScheduleService
    digests: DigestService
    # Called after a schedule is added or turned off; a process that runs the scheduler
    # sets it to `PromisebotScheduler.sync` so the change takes effect without waiting.
    on_schedules_changed: Callable[[], None] = field(default=no_schedule_hook, kw_only=True)
    proposals: ProposalService
    aliases: AliasService
    deadlines: DeadlineService
    follows: FollowService
    outbox: OutboxService
