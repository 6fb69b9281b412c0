"""Looking promises up: search, the card, lists by rating and of overdue promises, the
scorecard, and the frozen read models they return. Search and pick-lists answer from the
in-memory catalog (see `catalog` beside it); a card is read in three queries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from promisebot.db.models import Promise, Tracker
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
    page_key,
)
from promisebot.search import SearchDoc, query_key
from promisebot.services.lookup.catalog import Catalog, CatalogCache

CARD_EVIDENCE = 5
CARD_HISTORY = 6
# A typeahead's text is a few words; more only costs ranking time.
SUGGEST_QUERY_MAX = 200


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
class PromiseChoice:
    """A promise as a typeahead offers it, straight from the search index (no row read)."""

    id: int
    tracker: str
    external_id: str
    title: str


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
        self._catalog = CatalogCache()

    def warm(self) -> int:
        """Build the in-memory catalog now (at start-up, before traffic), so that the first
        lookup is as fast as any; returns how many promises it holds."""
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                held = len(self._catalog.current(uow).index)
        return held

    def search(self, query: str) -> LookupResult:
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                catalog = self._catalog.current(uow)
                result = catalog.index.search(query)
                if result.kind == "match":
                    card = self._card(uow, result.hits[0].doc.key, catalog)
                    return LookupResult(query, "match", card, ())
                summaries = tuple(self._summaries(catalog, [hit.doc for hit in result.hits]))
        key = query_key(query)
        learnable = key if len(key) <= ALIAS_MAX else ""
        return LookupResult(query, result.kind, None, summaries, learnable)

    def card(self, promise_id: int) -> PromiseCard:
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                # The catalog as last checked: a card stays three queries; its aliases are
                # current after any lookup in this process (from a button, they may be
                # moments old here when another replica changed them).
                catalog = self._catalog.loaded or self._catalog.current(uow)
                card = self._card(uow, promise_id, catalog)
        return card

    def suggest(self, query: str, limit: int = 20) -> tuple[PromiseChoice, ...]:
        """The best matches for what someone is typing, ranked as `/promise` ranks them
        (exact ids first); nothing for blank text."""
        text = " ".join(query[:SUGGEST_QUERY_MAX].split())
        if not text or limit < 1:
            return ()
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                index = self._catalog.current(uow).index
        return tuple(
            PromiseChoice(hit.doc.key, hit.doc.tracker, hit.doc.external_id, hit.doc.title)
            for hit in index.rank(text, limit)
        )

    def cards_for_pages(self, urls: Sequence[str]) -> dict[str, PromiseCard]:
        """The card of the promise whose public page each link is (by `page_key`, so scheme,
        `www.`, trailing slash, query and fragment do not matter); unknown links are left
        out, and a page two promises share shows the first."""
        keys = {url: page_key(url) for url in urls}
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                catalog = self._catalog.loaded or self._catalog.current(uow)
                found: dict[str, int] = {}
                for promise in uow.promises.by_source_keys(list(keys.values())):
                    found.setdefault(promise.source_key, promise.id)
                cards = {
                    key: self._card(uow, promise_id, catalog) for key, promise_id in found.items()
                }
        return {url: cards[key] for url, key in keys.items() if key in cards}

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
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                tracker_id = _tracker(uow, tracker_slug).id if tracker_slug else None
                rows, total = uow.promises.by_rating(rating, tracker_id, limit)
                items = tuple(self._summary(row) for row in rows)
        return PromiseList(rating, tracker_slug, items, total)

    def list_overdue(self, tracker_slug: str | None = None, limit: int = 20) -> OverdueList:
        """Promises past their deadline and not rated Promise Kept or Promise Broken."""
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                tracker_id = _tracker(uow, tracker_slug).id if tracker_slug else None
                rows, total = uow.promises.overdue(self._today(), tracker_id, limit)
                items = tuple(self._summary(row) for row in rows)
        return OverdueList(tracker_slug, items, total)

    def scorecard(self, tracker_slug: str | None = None) -> list[TrackerScore]:
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                trackers = (
                    [_tracker(uow, tracker_slug)]
                    if tracker_slug
                    else list(uow.promises.all_trackers())
                )
                counts = uow.promises.rating_counts([tracker.id for tracker in trackers])
                scores = [
                    TrackerScore.of(row.slug, row.name, row.subject, counts.get(row.id, {}))
                    for row in trackers
                ]
        return scores

    def _card(self, uow: UnitOfWork, promise_id: int, catalog: Catalog) -> PromiseCard:
        # Three queries whatever the card holds: the promise with its tracker and open
        # proposals, the latest evidence, the latest rating changes (each with its total).
        rows = uow.promises.card_rows(promise_id)
        if not rows:
            raise PromiseNotFound(f"id {promise_id}")
        promise = rows[0]
        evidence, evidence_total = uow.evidence.latest_with_total(promise_id, CARD_EVIDENCE)
        history, history_total = uow.promises.latest_rating_changes_with_total(
            promise_id, CARD_HISTORY
        )
        return PromiseCard(
            id=promise.id,
            tracker=promise.tracker,
            tracker_name=promise.tracker_name,
            subject=promise.subject,
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
            deadline=Deadline.of(
                promise.due_on, promise.due_label, promise.current_rating, self._today()
            ),
            evidence=tuple(
                EvidenceItem(
                    row.url, row.title, row.publisher, row.published_on, row.note, row.added_at
                )
                for row in evidence
            ),
            evidence_total=evidence_total,
            history=tuple(
                HistoryItem(
                    row.from_rating,
                    row.to_rating,
                    row.effective_at,
                    row.rationale,
                    row.proposed_by,
                    tuple(row.approved_by or ()),
                    row.proposal_id is not None,
                )
                for row in history
            ),
            history_total=history_total,
            open_proposals=tuple(
                OpenProposal(
                    row.proposal_id,
                    row.to_rating,
                    row.proposed_by,
                    row.approvals,
                    row.approvals_required,
                    row.senior_required,
                    row.channel_id,
                    row.message_ts,
                    row.proposed_at,
                )
                for row in rows
                if row.proposal_id is not None
            ),
            aliases=catalog.aliases.get(promise_id, ()),
        )

    def _summaries(self, catalog: Catalog, docs: list[SearchDoc]) -> Iterator[PromiseSummary]:
        """Pick-list and suggestion lines from memory: the index's titles and the catalog's
        standings (rating, deadline), which the version row keeps current."""
        today = self._today()
        for doc in docs:
            standing = catalog.standings.get(doc.key)
            if standing is None:
                continue  # deleted since (the index is at least as new as the standings)
            rating, rated_at, due_on, due_label = standing
            yield PromiseSummary(
                doc.key,
                doc.tracker,
                catalog.tracker_names.get(doc.tracker, doc.tracker),
                doc.external_id,
                doc.title,
                rating,
                rated_at,
                Deadline.of(due_on, due_label, rating, today),
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


def _tracker(uow: UnitOfWork, slug: str) -> Tracker:
    tracker = uow.promises.tracker_by_slug(slug.lower())
    if tracker is None:
        raise UnknownTracker(slug, [row.slug for row in uow.promises.all_trackers()])
    return tracker
