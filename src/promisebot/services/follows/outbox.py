"""Delivering the outbox: fan each change out to its followers (one delivery per subscriber
and change), lease deliveries to a sender, record what Slack did with them, pause a
subscriber Slack refuses; daily summaries' exactly-once claims; weekly change lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from promisebot.changes import ChangeKind
from promisebot.db.models import Delivery, OutboxEvent
from promisebot.db.uow import Database, UnitOfWork
from promisebot.domain import SYSTEM_ACTOR, Clock
from promisebot.services.follows.records import (
    ChangeList,
    Notification,
    PromiseRef,
    SummaryClaim,
)

EXPAND_BATCH = 200
WEEKLY_ITEMS_MAX = 200


class OutboxService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- fan-out -----------------------------------------------------------------------

    def expand(self, limit: int = EXPAND_BATCH) -> int:
        """Turn up to `limit` new changes into deliveries; returns how many changes.

        A person's delivery waits for their daily summary if they chose one; news of an
        opened proposal goes only to people who asked for it; nobody hears of their own act.
        """
        now = self._clock()
        with self._db.transaction() as uow:
            events = uow.outbox.unexpanded(limit)
            rows: list[dict[str, Any]] = []
            for event in events:
                rows.extend(_deliveries_for(uow, event, now))
            uow.outbox.add_deliveries(rows)
            uow.outbox.mark_expanded([event.id for event in events], now)
            uow.commit()
        return len(events)

    # -- sending -----------------------------------------------------------------------

    def claim(
        self, claimer: str, *, limit: int, lease: timedelta, max_attempts: int
    ) -> list[Notification]:
        """Lease up to `limit` deliveries to `claimer` for `lease`."""
        now = self._clock()
        with self._db.transaction() as uow:
            uow.outbox.give_up_exhausted(now=now, max_attempts=max_attempts)
            claimed = uow.outbox.claim(
                claimer=claimer, now=now, lease_until=now + lease, limit=limit
            )
            notifications = _notifications(uow, claimed)
            uow.commit()
        return notifications

    def record_posted(self, delivery_id: int, *, channel_id: str, message_ts: str) -> bool:
        """False if the delivery was closed already (then this post was a duplicate)."""
        with self._db.transaction() as uow:
            done = uow.outbox.finish(
                [delivery_id],
                at=self._clock(),
                outcome="posted",
                channel_id=channel_id,
                message_ts=message_ts,
            )
            uow.commit()
        return done == 1

    def retry_later(self, delivery_id: int, claimer: str, *, after: timedelta) -> None:
        with self._db.transaction() as uow:
            uow.outbox.release(delivery_id, claimer=claimer, retry_at=self._clock() + after)
            uow.commit()

    def pause(self, subscriber_id: str, reason: str) -> int:
        """Slack will not deliver to this subscriber: pause its follows (shown with the
        reason by `/promise following`) and close what was waiting for it."""
        now = self._clock()
        with self._db.transaction() as uow:
            paused = uow.follows.pause(subscriber_id, reason, now)
            uow.outbox.finish(
                uow.outbox.open_of_subscriber(subscriber_id), at=now, outcome=f"paused: {reason}"
            )
            uow.audit.record(
                actor=SYSTEM_ACTOR,
                action="follow.paused",
                subject_type="subscriber",
                subject_id=subscriber_id,
                at=now,
                reason=reason,
                follows=paused,
            )
            uow.commit()
        return paused

    # -- daily summaries ---------------------------------------------------------------

    def summary_subscribers(self, before: datetime, period_key: str) -> list[str]:
        """People with changes waiting for this period's summary, or whose summary for it
        was claimed and never posted."""
        with self._db.reading() as uow:
            return uow.outbox.summary_subscribers(before=before, period_key=period_key)

    def claim_summary(
        self,
        subscriber_id: str,
        period_key: str,
        claimer: str,
        *,
        before: datetime,
        retry_after: timedelta,
    ) -> SummaryClaim | None:
        """Claim (subscriber, period) like a digest's DigestRun: the first claim takes the
        waiting deliveries made before `before`; a stale unposted claim is taken over with
        the same deliveries. None when the period is done or someone else holds it."""
        now = self._clock()
        with self._db.transaction() as uow:
            claim = uow.outbox.claim_summary(
                subscriber_id=subscriber_id,
                period_key=period_key,
                claimer=claimer,
                at=now,
                stale_before=now - retry_after,
            )
            if claim is None:
                return None
            run_id, attempt = claim
            uow.outbox.assign_to_summary(run_id, subscriber_id, before=before)
            items = _notifications(uow, uow.outbox.summary_items(run_id))
            uow.commit()
        return SummaryClaim(run_id, subscriber_id, period_key, attempt, tuple(items))

    def record_summary(
        self, run_id: int, *, channel_id: str, message_ts: str | None, count: int
    ) -> bool:
        with self._db.transaction() as uow:
            done = uow.outbox.mark_summary_posted(
                run_id, at=self._clock(), channel_id=channel_id, message_ts=message_ts, count=count
            )
            uow.commit()
        return done

    # -- weekly digests ----------------------------------------------------------------

    def changes(
        self,
        start: datetime,
        end: datetime,
        *,
        tracker_id: int | None = None,
        tracker_slug: str | None = None,
        limit: int = WEEKLY_ITEMS_MAX,
    ) -> ChangeList:
        """Rating changes, evidence and proposals opened or closed in [start, end)."""
        with self._db.reading() as uow:
            rows, total = uow.outbox.changes_between(start, end, tracker_id=tracker_id, limit=limit)
            items = _notifications(uow, [(None, row) for row in rows])
        return ChangeList(start, end, tracker_slug, tuple(items), total)


def _deliveries_for(uow: UnitOfWork, event: OutboxEvent, now: datetime) -> list[dict[str, Any]]:
    kind = ChangeKind(event.kind)
    if not kind.notifies:
        return []
    promise = event.payload.get("promise") or {}
    followers = [
        (subscriber, is_channel)
        for subscriber, is_channel in uow.follows.followers(
            promise_id=event.promise_id,
            tags=list(promise.get("tags") or ()),
            tracker_slug=str(promise.get("tracker", "")),
        )
        if subscriber != event.actor
    ]
    people = [subscriber for subscriber, is_channel in followers if not is_channel]
    preferences = uow.follows.preferences_of(people)
    rows = []
    for subscriber, is_channel in followers:
        preference = preferences.get(subscriber)
        if kind is ChangeKind.PROPOSAL_OPENED and (
            is_channel or preference is None or not preference.notify_proposals
        ):
            continue
        summary = not is_channel and preference is not None and preference.daily_summary
        rows.append(
            {
                "event_id": event.id,
                "subscriber_id": subscriber,
                "is_channel": is_channel,
                "mode": "summary" if summary else "now",
                "created_at": now,
                "claimed_by": "",
                "attempts": 0,
                "outcome": "",
            }
        )
    return rows


def _notifications(
    uow: UnitOfWork, rows: Sequence[tuple[Delivery | None, OutboxEvent]]
) -> list[Notification]:
    proposal_ids = {
        int(event.payload["proposal_id"])
        for _, event in rows
        if event.payload.get("proposal_id") is not None
    }
    threads = uow.outbox.proposal_threads(proposal_ids)
    notifications = []
    for delivery, event in rows:
        promise = event.payload.get("promise") or {}
        proposal_id = event.payload.get("proposal_id")
        notifications.append(
            Notification(
                delivery_id=delivery.id if delivery else 0,
                event_id=event.id,
                kind=ChangeKind(event.kind),
                subscriber_id=delivery.subscriber_id if delivery else "",
                is_channel=delivery.is_channel if delivery else False,
                promise=PromiseRef(
                    id=event.promise_id,
                    external_id=str(promise.get("external_id", "")),
                    title=str(promise.get("title", "")),
                    tracker=str(promise.get("tracker", "")),
                    tracker_name=str(promise.get("tracker_name", "")),
                ),
                actor=event.actor,
                at=event.created_at,
                details={k: v for k, v in event.payload.items() if k != "promise"},
                thread=threads.get(int(proposal_id)) if proposal_id is not None else None,
                attempt=delivery.attempts if delivery else 0,
            )
        )
    return notifications
