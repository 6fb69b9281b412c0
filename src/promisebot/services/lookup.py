"""Looking promises up: search, the card, lists by rating and the scorecard.

The search index lives in memory and is rebuilt only when the promises table changes
(a cheap version check per query), so every replica stays current.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from promisebot.db.models import Evidence, Promise, Proposal, RatingChange, Review, Tracker
from promisebot.db.repositories.promises import PromiseRepository
from promisebot.db.uow import Database
from promisebot.domain import Clock, DomainError, ProposalStatus, Rating, Verdict, days_between
from promisebot.search import SearchDoc, SearchIndex
from promisebot.services.promise_views import (
    EvidenceItem,
    HistoryItem,
    LookupResult,
    OpenProposal,
    PromiseCard,
    PromiseList,
    PromiseSummary,
    TrackerScore,
)

CARD_EVIDENCE = 5
CARD_HISTORY = 6


class UnknownPromise(DomainError):
    def __init__(self, what: str) -> None:
        super().__init__(f"No promise matches {what}. Try `/promise <words>` to search.")


class UnknownTracker(DomainError):
    def __init__(self, slug: str, known: Sequence[str]) -> None:
        names = ", ".join(known) or "none yet"
        super().__init__(f"There is no tracker '{slug}'. Trackers: {names}.")


class LookupService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._index = SearchIndex([])
        self._fingerprint: tuple[int, int, int] | None = None
        self._index_lock = threading.Lock()

    def search(self, query: str) -> LookupResult:
        with self.db.reading() as uow:
            index = self._current_index(uow.session)
            result = index.search(query)
            ids = [hit.doc.key for hit in result.hits]
            if result.kind == "match":
                return LookupResult(query, "match", self._card(uow.session, ids[0]), ())
            summaries = _summaries(uow.session, ids)
        return LookupResult(query, result.kind, None, summaries)

    def card(self, promise_id: int) -> PromiseCard:
        with self.db.reading() as uow:
            return self._card(uow.session, promise_id)

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
            )
        if result.kind == "ambiguous":
            names = ", ".join(f"`{item.external_id}`" for item in result.candidates[:5])
            raise DomainError(f"'{query}' matches several promises ({names}); use its id.")
        raise UnknownPromise(f"'{query}'")

    def list_by_rating(
        self, rating: Rating, tracker_slug: str | None = None, limit: int = 20
    ) -> PromiseList:
        with self.db.reading() as uow:
            statement = select(Promise).join(Tracker).where(Promise.current_rating == rating)
            if tracker_slug:
                tracker = self._tracker(uow.session, tracker_slug)
                statement = statement.where(Promise.tracker_id == tracker.id)
            total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            rows = uow.session.scalars(
                statement.order_by(Promise.rated_at, Promise.id).limit(limit)
            ).all()
            items = tuple(_summary(row) for row in rows)
        return PromiseList(rating, tracker_slug, items, total)

    def scorecard(self, tracker_slug: str | None = None) -> list[TrackerScore]:
        with self.db.reading() as uow:
            trackers = (
                [self._tracker(uow.session, tracker_slug)]
                if tracker_slug
                else list(uow.promises.all_trackers())
            )
            counts = uow.session.execute(
                select(Promise.tracker_id, Promise.current_rating, func.count())
                .where(Promise.tracker_id.in_([tracker.id for tracker in trackers]))
                .group_by(Promise.tracker_id, Promise.current_rating)
            ).all()
            by_tracker: dict[int, dict[Rating, int]] = {}
            for tracker_id, rating, count in counts:
                by_tracker.setdefault(tracker_id, {})[rating] = count
            return [
                TrackerScore(
                    tracker.slug,
                    tracker.name,
                    tracker.subject,
                    tuple(
                        (rating, by_tracker.get(tracker.id, {}).get(rating, 0)) for rating in Rating
                    ),
                )
                for tracker in trackers
            ]

    def _tracker(self, session: Session, slug: str) -> Tracker:
        tracker = PromiseRepository(session).tracker_by_slug(slug.lower())
        if tracker is None:
            known = [row.slug for row in PromiseRepository(session).all_trackers()]
            raise UnknownTracker(slug, known)
        return tracker

    def _current_index(self, session: Session) -> SearchIndex:
        fingerprint = PromiseRepository(session).searchable_text_version()
        with self._index_lock:
            if fingerprint != self._fingerprint:
                rows = session.execute(
                    select(
                        Promise.id,
                        Tracker.slug,
                        Promise.external_id,
                        Promise.title,
                        Promise.description,
                        Promise.tags,
                    ).join(Tracker)
                ).all()
                self._index = SearchIndex(
                    SearchDoc(row[0], row[1], row[2], row[3], row[4], tuple(row[5] or ()))
                    for row in rows
                )
                self._fingerprint = fingerprint
            return self._index

    def _card(self, session: Session, promise_id: int) -> PromiseCard:
        promise = PromiseRepository(session).get_promise(promise_id)
        if promise is None:
            raise UnknownPromise(f"id {promise_id}")
        tracker = promise.tracker
        # Newest first by publication date, or by the day it was added when undated.
        all_evidence = session.scalars(
            select(Evidence).where(Evidence.promise_id == promise_id)
        ).all()
        evidence = sorted(
            all_evidence,
            key=lambda e: (e.published_on or e.added_at.date(), e.added_at),
            reverse=True,
        )[:CARD_EVIDENCE]
        evidence_total = len(all_evidence)
        history = session.scalars(
            select(RatingChange)
            .where(RatingChange.promise_id == promise_id)
            .order_by(RatingChange.effective_at.desc(), RatingChange.id.desc())
            .limit(CARD_HISTORY)
        ).all()
        history_total = session.scalar(
            select(func.count()).where(RatingChange.promise_id == promise_id)
        )
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
            days_held=max(days_between(promise.rated_at, self.clock()), 0),
            last_reviewed_at=promise.last_reviewed_at,
            snoozed_until=promise.snoozed_until,
            source_url=promise.source_url,
            evidence=tuple(
                EvidenceItem(e.url, e.title, e.publisher, e.published_on, e.note, e.added_at)
                for e in evidence
            ),
            evidence_total=evidence_total or 0,
            history=tuple(
                HistoryItem(
                    h.from_rating,
                    h.to_rating,
                    h.effective_at,
                    h.rationale,
                    h.proposed_by,
                    tuple(h.approved_by or ()),
                    h.proposal_id is not None,
                )
                for h in history
            ),
            history_total=history_total or 0,
            open_proposals=_open_proposals(session, promise_id),
        )


def _summary(promise: Promise) -> PromiseSummary:
    return PromiseSummary(
        promise.id,
        promise.tracker.slug,
        promise.tracker.name,
        promise.external_id,
        promise.title,
        promise.current_rating,
        promise.rated_at,
    )


def _summaries(session: Session, ids: list[int]) -> tuple[PromiseSummary, ...]:
    if not ids:
        return ()
    rows = {row.id: row for row in session.scalars(select(Promise).where(Promise.id.in_(ids)))}
    return tuple(_summary(rows[key]) for key in ids if key in rows)


def _open_proposals(session: Session, promise_id: int) -> tuple[OpenProposal, ...]:
    proposals = session.scalars(
        select(Proposal)
        .where(Proposal.promise_id == promise_id, Proposal.status == ProposalStatus.OPEN)
        .order_by(Proposal.created_at)
    ).all()
    approvals = dict(
        session.execute(
            select(Review.proposal_id, func.count())
            .where(
                Review.proposal_id.in_([p.id for p in proposals]),
                Review.verdict == Verdict.APPROVE,
            )
            .group_by(Review.proposal_id)
        ).all()
    )
    return tuple(
        OpenProposal(
            p.id,
            p.to_rating,
            p.proposed_by,
            int(approvals.get(p.id, 0)),
            p.approvals_required,
            p.channel_id,
            p.message_ts,
            p.created_at,
        )
        for p in proposals
    )
