"""Composition root: settings → database → services → Slack client → Bolt app.

The only module that knows every layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from slack_bolt import App
from slack_sdk import WebClient

from promisebot.db.uow import Database
from promisebot.domain import Clock, utcnow
from promisebot.scheduler import PromisebotScheduler
from promisebot.scheduler.expiry import expiry_job
from promisebot.scheduler.notifications import NotificationSender, notification_jobs
from promisebot.scheduler.roots import roots_job
from promisebot.services import Services
from promisebot.services.deadlines import DeadlineService
from promisebot.services.evidence import EvidenceService, LinkTitleFetcher
from promisebot.services.follows import FollowService, OutboxService
from promisebot.services.home import HomeService
from promisebot.services.lookup import LookupService
from promisebot.services.lookup.aliases import AliasService
from promisebot.services.permissions import EditorDirectory, GroupFetcher, Permissions
from promisebot.services.proposals import ProposalService
from promisebot.services.reminders import DigestService, ScheduleService
from promisebot.services.trackers import TrackerService
from promisebot.settings import Settings
from promisebot.slack.app import create_app
from promisebot.slack.client import build_web_client
from promisebot.slack.messenger import Messenger
from promisebot.slack.notify.proposals import ProposalNotifier
from promisebot.slack.workspace import Workspace


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    services: Services
    client: WebClient
    messenger: Messenger
    workspace: Workspace

    def slack_app(self) -> App:
        return create_app(
            self.services,
            self.client,
            self.workspace,
            executor_threads=self.settings.http_threads,
        )

    def scheduled_jobs(self) -> list[tuple[str, Callable[[], object], float]]:
        """Periodic jobs besides the digests, for `PromisebotScheduler(extra_jobs=...)`."""
        proposals = self.services.proposals
        notifier = ProposalNotifier(proposals, self.settings, self.messenger)
        return [
            expiry_job(proposals, notifier),
            roots_job(notifier, self.services.clock),
            *notification_jobs(self.notification_sender(), self.settings.notify_interval_seconds),
        ]

    def notification_sender(self, claimer_id: str | None = None) -> NotificationSender:
        """Delivers followers' notifications and daily summaries (a scheduler job; tests and
        the sandbox run it by hand)."""
        return NotificationSender(self.services, self.messenger, claimer_id)

    def with_scheduler(self) -> tuple[Runtime, PromisebotScheduler]:
        """A scheduler for this process (not started), and a runtime whose schedule commands
        re-sync it at once instead of at its next poll."""
        scheduler = PromisebotScheduler(
            self.services, self.messenger, extra_jobs=self.scheduled_jobs()
        )

        def resync() -> None:
            scheduler.sync()

        services = replace(self.services, on_schedules_changed=resync)
        return replace(self, services=services), scheduler

    def close(self) -> None:
        self.db.dispose()


def build_services(
    settings: Settings,
    db: Database,
    clock: Clock = utcnow,
    fetch_group_members: GroupFetcher | None = None,
) -> Services:
    editors = EditorDirectory.from_settings(settings, fetch_group_members, clock)
    seniors = EditorDirectory.from_settings(settings, fetch_group_members, clock, seniors=True)
    permissions = Permissions(editors, seniors)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        permissions=permissions,
        lookup=LookupService(db, clock, settings.tz),
        evidence=EvidenceService(
            db, clock, permissions, allow_private_links=settings.allow_private_fetch
        ),
        home=HomeService(db, clock, permissions, tz=settings.tz),
        link_titles=(
            LinkTitleFetcher(allow_private=settings.allow_private_fetch)
            if settings.fetch_link_titles
            else None
        ),
        trackers=TrackerService(db, clock),
        schedules=ScheduleService(db, settings, clock, permissions),
        digests=DigestService(db, settings, clock, permissions),
        proposals=ProposalService(db, settings, clock, permissions),
        aliases=AliasService(db, clock, permissions),
        deadlines=DeadlineService(db, clock, settings.tz, permissions),
        follows=FollowService(db, clock, permissions),
        outbox=OutboxService(db, clock),
    )


@contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    """The services over a database of their own and without Slack (no token needed), for
    one-shot commands such as `promisebot import` and `export`; the database is closed after."""
    db = Database(settings.sqlalchemy_url)
    try:
        yield build_services(settings, db)
    finally:
        db.dispose()


def usergroup_fetcher(client: WebClient) -> GroupFetcher:
    """Reads an editor group's members with `usergroups.users.list`."""

    def fetch(group_id: str) -> list[str]:
        users = client.usergroups_users_list(usergroup=group_id).get("users") or []
        return [str(user) for user in users]

    return fetch


def build_runtime(
    settings: Settings, *, clock: Clock = utcnow, db: Database | None = None
) -> Runtime:
    database = db or Database(settings.sqlalchemy_url)
    client = build_web_client(settings)
    return Runtime(
        settings=settings,
        db=database,
        services=build_services(settings, database, clock, usergroup_fetcher(client)),
        client=client,
        messenger=Messenger(client),
        workspace=Workspace(client),
    )
