"""Looking promises up: search, the card, lists by rating and of overdue promises, the
scorecard, and the frozen read models they return. The search index lives in memory and is
rebuilt only when the promises' searchable text or aliases may have changed (a cheap
version check per query)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from promisebot.db.models import Evidence, Promise, Proposal, RatingChange, Tracker
from promisebot.db.uow import Database, UnitOfWork
from promisebot.domain import (
    ALIAS_MAX,
    Clock,
    Deadline,
    DomainError,
    PromiseNotFound,
    Rating,
    UnknownTracker,
    days_between,
)
from promisebot.search import SearchDoc, SearchIndex, query_key

CARD_EVIDENCE = 5
CARD_HISTORY = 6


@dataclass(frozen=True, slots=True)
class PromiseSummary:
    id: int
    tracker: str
    tracker_name: str
    external_id: str
    title: str
    rating: Rating
    rated_at: datetime
    deadline: Deadline | None = None


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
    senior_required: bool
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
    deadline: Deadline | None
    evidence: tuple[EvidenceItem, ...]
    evidence_total: int
    history: tuple[HistoryItem, ...]
    history_total: int
    open_proposals: tuple[OpenProposal, ...]
    aliases: tuple[str, ...] = ()  # given ones first, then learned ones


@dataclass(frozen=True, slots=True)
class LookupResult:
    """A search's outcome: one card, a pick-list, or nothing (with suggestions)."""

    query: str
    kind: str  # "match" | "ambiguous" | "none"
    card: PromiseCard | None
    candidates: tuple[PromiseSummary, ...]
    # The query as search learns it from a pick ("" when it could not become an alias).
    learnable: str = ""


@dataclass(frozen=True, slots=True)
class PromiseList:
    rating: Rating
    tracker: str | None
    items: tuple[PromiseSummary, ...]
    total: int


@dataclass(frozen=True, slots=True)
class OverdueList:
    """Unsettled promises past their deadline, most overdue first (each has a deadline)."""

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

    @classmethod
    def of(cls, slug: str, name: str, subject: str, counts: dict[Rating, int]) -> TrackerScore:
        """`counts` as `PromiseRepository.rating_counts` gives them for one tracker."""
        return cls(slug, name, subject, tuple((rating, counts.get(rating, 0)) for rating in Rating))


class LookupService:
    def __init__(self, db: Database, clock: Clock, tz: ZoneInfo | None = None) -> None:
        self._db = db
        self._clock = clock
        self._tz = tz or ZoneInfo("UTC")  # the newsroom's, for deadlines
        self._index = SearchIndex([])
        self._fingerprint: tuple[int, ...] | None = None
        self._index_lock = threading.Lock()

    def search(self, query: str) -> LookupResult:
        with self._db.reading() as uow:
            result = self._current_index(uow).search(query)
            ids = [hit.doc.key for hit in result.hits]
            if result.kind == "match":
                return LookupResult(query, "match", self._card(uow, ids[0]), ())
            found = uow.promises.with_trackers(ids)
            summaries = tuple(self._summary(found[key]) for key in ids if key in found)
        key = query_key(query)
        learnable = key if len(key) <= ALIAS_MAX else ""
        return LookupResult(query, result.kind, None, summaries, learnable)

    def card(self, promise_id: int) -> PromiseCard:
        with self._db.reading() as uow:
            return self._card(uow, promise_id)

    def find_one(self, query: str) -> PromiseSummary:
        """Resolve a query that must name one promise (commands like `snooze <id>`)."""
        result = self.search(query)
        if result.card:
            card = result.card
            return PromiseSummary(
                card.id,
                card.tracker,
                card.tracker_name,
                card.external_id,
                card.title,
                card.rating,
                card.rated_at,
                card.deadline,
            )
        if result.kind == "ambiguous":
            names = ", ".join(f"`{item.external_id}`" for item in result.candidates[:5])
            raise DomainError(f"'{query}' matches several promises ({names}); use its id.")
        raise PromiseNotFound(f"'{query}'")

    def list_by_rating(
        self, rating: Rating, tracker_slug: str | None = None, limit: int = 20
    ) -> PromiseList:
        with self._db.reading() as uow:
            tracker_id = _tracker(uow, tracker_slug).id if tracker_slug else None
            rows, total = uow.promises.by_rating(rating, tracker_id, limit)
            items = tuple(self._summary(row) for row in rows)
        return PromiseList(rating, tracker_slug, items, total)

    def list_overdue(self, tracker_slug: str | None = None, limit: int = 20) -> OverdueList:
        """Promises past their deadline and not rated Promise Kept or Promise Broken."""
        with self._db.reading() as uow:
            tracker_id = _tracker(uow, tracker_slug).id if tracker_slug else None
            rows, total = uow.promises.overdue(self._today(), tracker_id, limit)
            items = tuple(self._summary(row) for row in rows)
        return OverdueList(tracker_slug, items, total)

    def scorecard(self, tracker_slug: str | None = None) -> list[TrackerScore]:
        with self._db.reading() as uow:
            trackers = (
                [_tracker(uow, tracker_slug)] if tracker_slug else list(uow.promises.all_trackers())
            )
            counts = uow.promises.rating_counts([tracker.id for tracker in trackers])
            return [
                TrackerScore.of(row.slug, row.name, row.subject, counts.get(row.id, {}))
                for row in trackers
            ]

    def _current_index(self, uow: UnitOfWork) -> SearchIndex:
        fingerprint = (*uow.promises.searchable_text_version(), *uow.aliases.version())
        with self._index_lock:
            if fingerprint != self._fingerprint:
                self._index = SearchIndex(_search_docs(uow))
                self._fingerprint = fingerprint
            return self._index

    def _card(self, uow: UnitOfWork, promise_id: int) -> PromiseCard:
        promise = uow.promises.get(promise_id)
        if promise is None:
            raise PromiseNotFound(f"id {promise_id}")
        tracker = promise.tracker
        proposals = uow.proposals.open_on_promise(promise_id)
        approvals = uow.proposals.approval_counts([proposal.id for proposal in proposals])
        return PromiseCard(
            id=promise.id,
            tracker=tracker.slug,
            tracker_name=tracker.name,
            subject=tracker.subject,
            external_id=promise.external_id,
            title=promise.title,
            description=promise.description,
            tags=tuple(promise.tags or ()),
            rating=promise.current_rating,
            rated_at=promise.rated_at,
            days_held=max(days_between(promise.rated_at, self._clock()), 0),
            last_reviewed_at=promise.last_reviewed_at,
            snoozed_until=promise.snoozed_until,
            source_url=promise.source_url,
            deadline=self._deadline(promise),
            evidence=tuple(
                _evidence_item(row)
                for row in uow.evidence.latest_for_promise(promise_id, CARD_EVIDENCE)
            ),
            evidence_total=uow.evidence.count_for_promise(promise_id),
            history=tuple(
                _history_item(change)
                for change in uow.promises.latest_rating_changes(promise_id, CARD_HISTORY)
            ),
            history_total=uow.promises.rating_change_count(promise_id),
            open_proposals=tuple(
                _open_proposal(proposal, approvals.get(proposal.id, 0)) for proposal in proposals
            ),
            aliases=tuple(row.alias for row in uow.aliases.of_promise(promise_id)),
        )

    def _today(self) -> date:
        """The newsroom's date: a deadline passes at its midnight."""
        return self._clock().astimezone(self._tz).date()

    def _deadline(self, promise: Promise) -> Deadline | None:
        return Deadline.of(promise.due_on, promise.due_label, promise.current_rating, self._today())

    def _summary(self, promise: Promise) -> PromiseSummary:
        return PromiseSummary(
            promise.id,
            promise.tracker.slug,
            promise.tracker.name,
            promise.external_id,
            promise.title,
            promise.current_rating,
            promise.rated_at,
            self._deadline(promise),
        )


def _search_docs(uow: UnitOfWork) -> list[SearchDoc]:
    """Every promise as search sees it: its text, the aliases it was given and the queries
    it learned."""
    given: dict[int, list[str]] = {}
    learned: dict[int, list[str]] = {}
    for promise_id, alias, key, is_learned in uow.aliases.search_rows():
        (learned if is_learned else given).setdefault(promise_id, []).append(
            key if is_learned else alias
        )
    return [
        SearchDoc(
            key,
            tracker,
            external_id,
            title,
            description,
            tuple(tags or ()),
            tuple(given.get(key, ())),
            tuple(learned.get(key, ())),
        )
        for key, tracker, external_id, title, description, tags in uow.promises.search_rows()
    ]


def _tracker(uow: UnitOfWork, slug: str) -> Tracker:
    tracker = uow.promises.tracker_by_slug(slug.lower())
    if tracker is None:
        raise UnknownTracker(slug, [row.slug for row in uow.promises.all_trackers()])
    return tracker


def _evidence_item(row: Evidence) -> EvidenceItem:
    return EvidenceItem(row.url, row.title, row.publisher, row.published_on, row.note, row.added_at)


def _history_item(change: RatingChange) -> HistoryItem:
    return HistoryItem(
        change.from_rating,
        change.to_rating,
        change.effective_at,
        change.rationale,
        change.proposed_by,
        tuple(change.approved_by or ()),
        change.proposal_id is not None,
    )


def _open_proposal(proposal: Proposal, approvals: int) -> OpenProposal:
    return OpenProposal(
        proposal.id,
        proposal.to_rating,
        proposal.proposed_by,
        approvals,
        proposal.approvals_required,
        proposal.senior_required,
        proposal.channel_id,
        proposal.message_ts,
        proposal.created_at,
    )
