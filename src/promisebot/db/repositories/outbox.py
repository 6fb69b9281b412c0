"""The outbox: changes written in the transaction that made them, their fan-out into
deliveries (unique per event and subscriber), the leased claims senders take on them, the
daily summaries' claim rows, and the changes of a period for weekly digests."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, and_, func, or_, select, update

from promisebot.changes import Change
from promisebot.db.models import Delivery, OutboxEvent, Promise, Proposal, SummaryRun
from promisebot.db.repositories import Repository

# What a weekly "what changed" digest lists (a promise entering a stalled digest is not news).
WEEKLY_KINDS = ("rating_changed", "evidence_added", "proposal_opened", "proposal_closed")


class OutboxRepository(Repository):
    """OutboxEvent, Delivery and SummaryRun rows."""

    # -- writing changes ---------------------------------------------------------------

    def add(self, change: Change) -> None:
        """Record a change with a snapshot of its promise (title, tracker, tags), so the
        fan-out and the messages do not depend on later edits. The caller commits."""
        promise = self._session.get(Promise, change.promise_id)
        if promise is None:
            raise ValueError(f"no promise {change.promise_id}")
        tracker = promise.tracker
        payload: dict[str, Any] = {
            **change.details,
            "promise": {
                "title": promise.title,
                "external_id": promise.external_id,
                "tracker": tracker.slug,
                "tracker_name": tracker.name,
                "tags": sorted({str(tag).lower() for tag in promise.tags or ()}),
            },
        }
        row = {
            "kind": change.kind.value,
            "promise_id": promise.id,
            "tracker_id": tracker.id,
            "actor": change.actor,
            "payload": payload,
            "dedupe_key": change.dedupe_key,
            "created_at": change.at,
        }
        if change.dedupe_key is None:
            self._session.add(OutboxEvent(**row))
            return
        statement = (
            self._insert(OutboxEvent)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        self._session.execute(statement)

    # -- fan-out ----------------------------------------------------------------------

    def unexpanded(self, limit: int) -> Sequence[OutboxEvent]:
        """The oldest events not yet fanned out, locked; another sender skips them."""
        statement = (
            select(OutboxEvent)
            .where(OutboxEvent.expanded_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self._session.scalars(statement).all()

    def add_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert deliveries; one that exists (same event and subscriber) is left alone."""
        if rows:
            statement = self._insert(Delivery).on_conflict_do_nothing(
                index_elements=["event_id", "subscriber_id"]
            )
            self._session.execute(statement, list(rows))

    def mark_expanded(self, event_ids: Collection[int], at: datetime) -> None:
        if event_ids:
            self._session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(event_ids))
                .values(expanded_at=at)
                .execution_options(synchronize_session=False)
            )

    # -- sending ----------------------------------------------------------------------

    def give_up_exhausted(self, *, now: datetime, max_attempts: int) -> int:
        """Close deliveries whose lease ran out after the last allowed attempt."""
        statement = (
            update(Delivery)
            .where(
                Delivery.done_at.is_(None),
                Delivery.mode == "now",
                Delivery.attempts >= max_attempts,
                Delivery.lease_until < now,
            )
            .values(done_at=now, outcome=f"gave up after {max_attempts} attempts")
            .execution_options(synchronize_session=False)
        )
        result = self._session.execute(statement)
        return result.rowcount if isinstance(result, CursorResult) else 0

    def claim(
        self, *, claimer: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[Delivery, OutboxEvent]]:
        """Lease up to `limit` unsent deliveries whose lease (if any) has run out.

        The rows are locked (SKIP LOCKED on PostgreSQL) until commit, and the new lease keeps
        them from every other sender after it; a sender that dies lets the lease run out.
        """
        ids = self._session.scalars(
            select(Delivery.id)
            .where(
                Delivery.done_at.is_(None),
                Delivery.mode == "now",
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            return []
        self._session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(
                claimed_by=claimer,
                lease_until=lease_until,
                attempts=Delivery.attempts + 1,
                first_claimed_at=func.coalesce(Delivery.first_claimed_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        return self.with_events(ids)

    def with_events(self, delivery_ids: Collection[int]) -> list[tuple[Delivery, OutboxEvent]]:
        statement = (
            select(Delivery, OutboxEvent)
            .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
            .where(Delivery.id.in_(delivery_ids))
            .order_by(Delivery.id)
            .execution_options(populate_existing=True)
        )
        return [(delivery, event) for delivery, event in self._session.execute(statement)]

    def finish(
        self,
        delivery_ids: Collection[int],
        *,
        at: datetime,
        outcome: str,
        channel_id: str | None = None,
        message_ts: str | None = None,
    ) -> int:
        """Close deliveries once (posted, or given up); how many were still open."""
        statement = (
            update(Delivery)
            .where(Delivery.id.in_(delivery_ids), Delivery.done_at.is_(None))
            .values(done_at=at, outcome=outcome[:120], channel_id=channel_id, message_ts=message_ts)
            .execution_options(synchronize_session=False)
        )
        result = self._session.execute(statement)
        return result.rowcount if isinstance(result, CursorResult) else 0

    def release(self, delivery_id: int, *, claimer: str, retry_at: datetime) -> None:
        """Let a delivery be claimed again at `retry_at` (e.g. after Slack's Retry-After)."""
        self._session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.claimed_by == claimer)
            .values(lease_until=retry_at)
            .execution_options(synchronize_session=False)
        )

    def open_of_subscriber(self, subscriber_id: str) -> list[int]:
        statement = select(Delivery.id).where(
            Delivery.subscriber_id == subscriber_id, Delivery.done_at.is_(None)
        )
        return list(self._session.scalars(statement))

    def proposal_threads(self, proposal_ids: Collection[int]) -> dict[int, tuple[str, str]]:
        """proposal id → (channel, ts) of its thread root, for those posted."""
        if not proposal_ids:
            return {}
        statement = select(Proposal.id, Proposal.channel_id, Proposal.message_ts).where(
            Proposal.id.in_(proposal_ids),
            Proposal.channel_id.is_not(None),
            Proposal.message_ts.is_not(None),
        )
        return {row[0]: (str(row[1]), str(row[2])) for row in self._session.execute(statement)}

    # -- daily summaries --------------------------------------------------------------

    def summary_subscribers(self, *, before: datetime, period_key: str) -> list[str]:
        """People with summary deliveries made before `before` and in no summary yet, and
        people whose summary for `period_key` is claimed but not posted."""
        waiting = select(Delivery.subscriber_id).where(
            Delivery.mode == "summary",
            Delivery.done_at.is_(None),
            Delivery.summary_run_id.is_(None),
            Delivery.created_at < before,
        )
        unposted = select(SummaryRun.subscriber_id).where(
            SummaryRun.period_key == period_key, SummaryRun.posted_at.is_(None)
        )
        return sorted(set(self._session.scalars(waiting)) | set(self._session.scalars(unposted)))

    def claim_summary(
        self,
        *,
        subscriber_id: str,
        period_key: str,
        claimer: str,
        at: datetime,
        stale_before: datetime,
    ) -> tuple[int, int] | None:
        """(run id, attempt) for the first claim of (subscriber, period), or a take-over of an
        unposted claim older than `stale_before`; None when someone else has it or it is done."""
        keys: dict[str, object] = {"subscriber_id": subscriber_id, "period_key": period_key}
        inserted = self._insert_claim(SummaryRun, keys, claimer, at)
        if inserted is not None:
            return inserted, 1
        taken = self._session.execute(
            update(SummaryRun)
            .where(
                SummaryRun.subscriber_id == subscriber_id,
                SummaryRun.period_key == period_key,
                SummaryRun.posted_at.is_(None),
                SummaryRun.claimed_at < stale_before,
            )
            .values(claimed_by=claimer, claimed_at=at, attempts=SummaryRun.attempts + 1)
            .returning(SummaryRun.id, SummaryRun.attempts)
            .execution_options(synchronize_session=False)
        ).one_or_none()
        return (taken[0], taken[1]) if taken else None

    def assign_to_summary(self, run_id: int, subscriber_id: str, *, before: datetime) -> None:
        self._session.execute(
            update(Delivery)
            .where(
                Delivery.subscriber_id == subscriber_id,
                Delivery.mode == "summary",
                Delivery.done_at.is_(None),
                Delivery.summary_run_id.is_(None),
                Delivery.created_at < before,
            )
            .values(summary_run_id=run_id)
            .execution_options(synchronize_session=False)
        )

    def summary_items(self, run_id: int) -> list[tuple[Delivery, OutboxEvent]]:
        ids = self._session.scalars(
            select(Delivery.id).where(Delivery.summary_run_id == run_id, Delivery.done_at.is_(None))
        ).all()
        return self.with_events(ids)

    def mark_summary_posted(
        self, run_id: int, *, at: datetime, channel_id: str, message_ts: str | None, count: int
    ) -> bool:
        result = self._session.execute(
            update(SummaryRun)
            .where(SummaryRun.id == run_id, SummaryRun.posted_at.is_(None))
            .values(posted_at=at, channel_id=channel_id, message_ts=message_ts, item_count=count)
            .execution_options(synchronize_session=False)
        )
        if not (isinstance(result, CursorResult) and result.rowcount == 1):
            return False
        ids = self._session.scalars(
            select(Delivery.id).where(Delivery.summary_run_id == run_id)
        ).all()
        self.finish(ids, at=at, outcome="in summary", channel_id=channel_id, message_ts=message_ts)
        return True

    # -- weekly digests ---------------------------------------------------------------

    def changes_between(
        self, start: datetime, end: datetime, *, tracker_id: int | None, limit: int
    ) -> tuple[Sequence[OutboxEvent], int]:
        """Changes in [start, end), by tracker then time, at most `limit`, and how many."""
        where = [
            OutboxEvent.created_at >= start,
            OutboxEvent.created_at < end,
            OutboxEvent.kind.in_(WEEKLY_KINDS),
        ]
        if tracker_id is not None:
            where.append(OutboxEvent.tracker_id == tracker_id)
        total = self._session.scalar(select(func.count()).where(and_(*where))) or 0
        rows = self._session.scalars(
            select(OutboxEvent)
            .where(*where)
            .order_by(OutboxEvent.tracker_id, OutboxEvent.created_at, OutboxEvent.id)
            .limit(limit)
        ).all()
        return rows, int(total)
