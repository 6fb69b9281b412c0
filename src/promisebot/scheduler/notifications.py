"""Delivering changes to followers: fan the outbox out, claim deliveries on a lease, render,
post (a person: their DM with the app; a channel: a post), record the Slack ts. Also the
daily summaries at 09:00 newsroom time, claimed per (person, day) like digests.

Safe on every replica: claims decide who posts. A sender that dies between claim and post
leaves its lease to run out, and another sender posts the delivery then, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from promisebot.scheduler.runner import default_claimer_id
from promisebot.services import Services
from promisebot.services.follows import Notification
from promisebot.services.reminders import Cadence
from promisebot.slack.blocks import follows as render
from promisebot.slack.messenger import Messenger

log = logging.getLogger(__name__)

SEND_JOB_ID = "notifications:send"
SUMMARY_JOB_ID = "notifications:summaries"
SUMMARY_INTERVAL_SECONDS = 60.0
SUMMARY_HOUR = 9
# Longer than one post can take with the client's own retries (429 waits, 5xx backoff).
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_BATCH = 100
DEFAULT_WORKERS = 4
MAX_ATTEMPTS = 10
# Slack's answers meaning "this subscriber cannot be reached": pause, do not retry.
UNREACHABLE = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "invalid_channel",
        "is_archived",
        "messages_tab_disabled",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "user_disabled",
        "user_not_found",
        "users_not_found",
    }
)


@dataclass(frozen=True, slots=True)
class SendReport:
    expanded: int = 0
    posted: int = 0
    paused: int = 0
    failed: int = 0


class NotificationSender:
    def __init__(
        self,
        services: Services,
        messenger: Messenger,
        claimer_id: str | None = None,
        *,
        lease: timedelta = DEFAULT_LEASE,
        batch: int = DEFAULT_BATCH,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.claimer_id = (claimer_id or default_claimer_id())[:100]
        self._outbox = services.outbox
        self._messenger = messenger
        self._clock = services.clock
        self._tz = services.settings.tz
        self._grace = timedelta(hours=services.settings.digest_grace_hours)
        self._lease = lease
        self._batch = batch
        self._workers = workers
        self._dm_channels: dict[str, str] = {}
        self._links: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()
        self._running = threading.Lock()

    # -- one change at a time ----------------------------------------------------------

    def run_once(self) -> SendReport:
        """Fan out every new change, then send until nothing claimable is left."""
        if not self._running.acquire(blocking=False):
            return SendReport()  # the previous run is still sending
        try:
            expanded = 0
            while count := self._outbox.expand():
                expanded += count
            posted = paused = failed = 0
            with ThreadPoolExecutor(self._workers, thread_name_prefix="notify") as pool:
                while claimed := self._outbox.claim(
                    self.claimer_id, limit=self._batch, lease=self._lease, max_attempts=MAX_ATTEMPTS
                ):
                    for outcome in pool.map(self._send, claimed):
                        posted += outcome == "posted"
                        paused += outcome == "paused"
                        failed += outcome == "failed"
                    if len(claimed) < self._batch:
                        break
            return SendReport(expanded, posted, paused, failed)
        finally:
            self._running.release()

    def _send(self, item: Notification) -> str:
        try:
            return self._post(item)
        except Exception:
            log.exception(
                "notification %s not sent; retried when its lease runs out", item.delivery_id
            )
            return "failed"

    def _post(self, item: Notification) -> str:
        thread = self._permalink(item.thread)
        message = render.notification_message(item, self._tz, thread)
        try:
            channel = item.subscriber_id if item.is_channel else self._dm(item.subscriber_id)
            posted = self._messenger.post(channel, message, metadata=render.metadata(item))
        except SlackApiError as error:
            return self._refused(item.subscriber_id, item.delivery_id, error)
        if not self._outbox.record_posted(
            item.delivery_id, channel_id=posted.channel, message_ts=posted.ts
        ):
            log.error("delivery %s was already recorded; posted twice", item.delivery_id)
        return "posted"

    def _refused(self, subscriber: str, delivery_id: int, error: SlackApiError) -> str:
        code = str(error.response.get("error", ""))
        if code in UNREACHABLE:
            log.warning("pausing %s's subscriptions: Slack said %s", subscriber, code)
            with self._lock:
                self._dm_channels.pop(subscriber, None)
            self._outbox.pause(subscriber, code)
            return "paused"
        if code == "ratelimited":
            # The client already waited out Retry-After a few times; come back after it.
            wait = int(error.response.headers.get("Retry-After", 30) or 30)
            self._outbox.retry_later(delivery_id, self.claimer_id, after=timedelta(seconds=wait))
        log.warning("delivery %s refused by Slack (%s); will retry", delivery_id, code)
        return "failed"

    def _dm(self, user: str) -> str:
        with self._lock:
            known = self._dm_channels.get(user)
        if known:
            return known
        channel = self._messenger.open_dm(user)
        with self._lock:
            self._dm_channels[user] = channel
        return channel

    def _permalink(self, thread: tuple[str, str] | None) -> str | None:
        if thread is None:
            return None
        with self._lock:
            if thread in self._links:
                return self._links[thread]
        found = self._messenger.permalink(*thread)
        with self._lock:
            self._links[thread] = found
        return found

    # -- daily summaries ---------------------------------------------------------------

    def send_summaries(self, retry_after: timedelta = DEFAULT_LEASE) -> int:
        """Today's 09:00 summaries (newsroom time) once it is past 09:00 and within the
        grace window; returns how many were posted. A claim left unposted by a dead
        process is taken over after `retry_after`."""
        cadence = Cadence(frozenset(range(7)), SUMMARY_HOUR, 0, self._tz)
        now = self._clock()
        fire = cadence.latest_at_or_before(now)
        if now - fire > self._grace:
            return 0
        period_key = cadence.period_key(fire)
        posted = 0
        for subscriber in self._outbox.summary_subscribers(fire, period_key):
            claim = self._outbox.claim_summary(
                subscriber, period_key, self.claimer_id, before=fire, retry_after=retry_after
            )
            if claim is None:
                continue
            if not claim.items:
                self._outbox.record_summary(claim.run_id, channel_id="", message_ts=None, count=0)
                continue
            links = render.thread_links(claim.items, self._messenger.permalink)
            message = render.summary_message(claim.items, self._tz, links)
            try:
                channel = self._dm(subscriber)
                sent = self._messenger.post(
                    channel,
                    message,
                    metadata=render.summary_metadata(claim.run_id, len(claim.items)),
                )
            except SlackApiError as error:
                self._refused(subscriber, 0, error)
                continue
            except Exception:
                log.exception("daily summary for %s not sent; retried later", subscriber)
                continue
            self._outbox.record_summary(
                claim.run_id, channel_id=sent.channel, message_ts=sent.ts, count=len(claim.items)
            )
            posted += 1
        return posted


def notification_jobs(
    sender: NotificationSender, every_seconds: float
) -> list[tuple[str, Callable[[], object], float]]:
    """For `PromisebotScheduler(extra_jobs=[...])`: sending, and the daily summaries."""
    return [
        (SEND_JOB_ID, sender.run_once, every_seconds),
        (SUMMARY_JOB_ID, sender.send_summaries, SUMMARY_INTERVAL_SECONDS),
    ]
