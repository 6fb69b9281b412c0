"""The digests' read models and errors: what a digest lists, the editors' answers to it,
and the DigestRun claims that make each post exactly-once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from promisebot.domain import Deadline, DomainError, Rating


class NotStalled(DomainError):
    def __init__(self, external_id: str, rating: Rating) -> None:
        super().__init__(
            f"`{external_id}` is now rated {rating.label}, so it is no longer stalled; "
            "nothing was changed."
        )


class InvalidSnooze(DomainError):
    """A snooze of a number of days outside 0 to `SNOOZE_MAX_DAYS`."""


@dataclass(frozen=True, slots=True)
class DigestItem:
    promise_id: int
    external_id: str
    title: str
    tracker_slug: str
    tracker_name: str
    stalled_since: datetime  # rated_at: when the Stalled rating took effect
    days_stalled: int
    last_reviewed_at: datetime
    last_evidence_on: date | None


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """A promise past its deadline, in the digest's second section."""

    promise_id: int
    external_id: str
    title: str
    tracker_slug: str
    tracker_name: str
    rating: Rating
    deadline: Deadline


@dataclass(frozen=True, slots=True)
class DigestContent:
    items: tuple[DigestItem, ...]  # still stalled
    total_due: int
    threshold_days: int
    generated_at: datetime
    tracker_id: int | None = None
    # Past their deadline, leaving out those already in `items`.
    overdue: tuple[OverdueItem, ...] = ()
    overdue_total: int = 0

    @property
    def more(self) -> int:
        """Due promises not in `items` (the query's limit)."""
        return self.total_due - len(self.items)

    @property
    def overdue_more(self) -> int:
        return self.overdue_total - len(self.overdue)

    @property
    def is_empty(self) -> bool:
        """Nothing to post: no promise still stalled, none past its deadline."""
        return not self.items and not self.overdue

    @property
    def item_count(self) -> int:
        """Every promise the digest is about, in both sections."""
        return self.total_due + self.overdue_total


@dataclass(frozen=True, slots=True)
class PromiseReviewed:
    promise_id: int
    external_id: str
    title: str
    last_reviewed_at: datetime
    reviewed_by: str


@dataclass(frozen=True, slots=True)
class PromiseSnoozed:
    promise_id: int
    external_id: str
    title: str
    snoozed_until: datetime | None  # None: the snooze was lifted (days = 0)
    snoozed_by: str


@dataclass(frozen=True, slots=True)
class DigestAnswer:
    """The latest answer to one item of a posted digest, as the audit trail has it."""

    promise_id: int
    kind: Literal["reviewed", "snoozed", "unsnoozed"]
    by: str
    days: int
    until: datetime | None


@dataclass(frozen=True, slots=True)
class DigestClaim:
    run_id: int
    schedule_id: int
    period_key: str
    claimer: str
    claimed_at: datetime
    attempt: int  # 1 for the first claim; more when a failed or abandoned claim is retried
    taken_over: bool


@dataclass(frozen=True, slots=True)
class DigestRunInfo:
    run_id: int
    schedule_id: int
    period_key: str
    claimed_by: str
    claimed_at: datetime
    attempts: int
    posted_at: datetime | None
    channel_id: str
    message_ts: str | None  # None with posted_at set: the period had nothing to post
    item_count: int
