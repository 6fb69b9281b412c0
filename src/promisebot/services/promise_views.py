"""Read models of promises handed to the Slack layer: frozen, complete, nothing lazy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from promisebot.domain import Rating


@dataclass(frozen=True, slots=True)
class PromiseSummary:
    id: int
    tracker: str
    tracker_name: str
    external_id: str
    title: str
    rating: Rating
    rated_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    url: str
    title: str
    publisher: str
    published_on: date | None
    note: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryItem:
    from_rating: Rating
    to_rating: Rating
    effective_at: datetime
    rationale: str
    proposed_by: str
    approved_by: tuple[str, ...]
    from_proposal: bool


@dataclass(frozen=True, slots=True)
class OpenProposal:
    id: int
    to_rating: Rating
    proposed_by: str
    approvals: int
    approvals_required: int
    channel_id: str | None
    message_ts: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PromiseCard:
    id: int
    tracker: str
    tracker_name: str
    subject: str
    external_id: str
    title: str
    description: str
    tags: tuple[str, ...]
    rating: Rating
    rated_at: datetime
    days_held: int
    last_reviewed_at: datetime
    snoozed_until: datetime | None
    source_url: str
    evidence: tuple[EvidenceItem, ...]
    evidence_total: int
    history: tuple[HistoryItem, ...]
    history_total: int
    open_proposals: tuple[OpenProposal, ...]


@dataclass(frozen=True, slots=True)
class LookupResult:
    """A search's outcome: one card, a pick-list, or nothing (with suggestions)."""

    query: str
    kind: str  # "match" | "ambiguous" | "none"
    card: PromiseCard | None
    candidates: tuple[PromiseSummary, ...]


@dataclass(frozen=True, slots=True)
class PromiseList:
    rating: Rating
    tracker: str | None
    items: tuple[PromiseSummary, ...]
    total: int


@dataclass(frozen=True, slots=True)
class TrackerScore:
    slug: str
    name: str
    subject: str
    counts: tuple[tuple[Rating, int], ...]  # every rating, in scale order

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts)
