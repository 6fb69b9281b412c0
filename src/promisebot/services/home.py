"""The App Home read model: a scorecard per tracker, the proposals waiting for the viewer's
review, the longest-stalled and the overdue promises and the latest rating changes, each
capped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from promisebot.db.uow import Database
from promisebot.domain import Clock, Deadline, Rating, days_between
from promisebot.services.lookup import TrackerScore
from promisebot.services.permissions import Permissions

MAX_TRACKERS = 6
LIST_LIMIT = 10


@dataclass(frozen=True, slots=True)
class AwaitingReview:
    proposal_id: int
    promise_id: int
    tracker: str
    external_id: str
    title: str
    from_rating: Rating
    to_rating: Rating
    proposed_by: str
    approvals: int
    approvals_required: int
    senior_required: bool
    channel_id: str | None  # the proposal's thread root, once posted
    message_ts: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StalledPromise:
    id: int
    tracker: str
    external_id: str
    title: str
    stalled_since: datetime
    days_stalled: int
    last_reviewed_at: datetime
    snoozed_until: datetime | None  # only set while the snooze lasts


@dataclass(frozen=True, slots=True)
class OverduePromise:
    id: int
    tracker: str
    external_id: str
    title: str
    rating: Rating
    deadline: Deadline


@dataclass(frozen=True, slots=True)
class RecentChange:
    promise_id: int
    tracker: str
    external_id: str
    title: str
    from_rating: Rating
    to_rating: Rating
    effective_at: datetime
    from_proposal: bool  # False for changes that came with an import


@dataclass(frozen=True, slots=True)
class HomeDashboard:
    viewer: str
    is_editor: bool
    scores: tuple[TrackerScore, ...]  # the largest trackers
    trackers_total: int
    awaiting: tuple[AwaitingReview, ...]  # empty for non-editors
    awaiting_total: int
    stalled: tuple[StalledPromise, ...]
    stalled_total: int
    overdue: tuple[OverduePromise, ...]  # most overdue first
    overdue_total: int
    changes: tuple[RecentChange, ...]
    generated_at: datetime


class HomeService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        permissions: Permissions,
        *,
        max_trackers: int = MAX_TRACKERS,
        list_limit: int = LIST_LIMIT,
        tz: ZoneInfo | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._tz = tz or ZoneInfo("UTC")  # the newsroom's, for deadlines
        self._permissions = permissions
        self._max_trackers = max_trackers
        self._list_limit = list_limit

    def dashboard(self, user: str) -> HomeDashboard:
        """Everything the viewer's Home tab shows, read in one go; only editors get a queue."""
        now = self._clock()
        limit = self._list_limit
        is_editor = self._permissions.is_editor(user)
        with self._db.reading() as uow:
            trackers = uow.dashboard.largest_trackers(self._max_trackers)
            counts = uow.promises.rating_counts([tracker.id for tracker in trackers])
            scores = tuple(
                TrackerScore.of(row.slug, row.name, row.subject, counts.get(row.id, {}))
                for row in trackers
            )
            trackers_total = uow.dashboard.tracker_count()
            awaiting: tuple[AwaitingReview, ...] = ()
            awaiting_total = 0
            if is_editor:
                found = uow.proposals.awaiting_review_by(user, limit)
                approvals = uow.proposals.approval_counts([proposal.id for proposal in found])
                awaiting = tuple(
                    AwaitingReview(
                        proposal.id,
                        proposal.promise_id,
                        proposal.promise.tracker.slug,
                        proposal.promise.external_id,
                        proposal.promise.title,
                        proposal.from_rating,
                        proposal.to_rating,
                        proposal.proposed_by,
                        approvals.get(proposal.id, 0),
                        proposal.approvals_required,
                        proposal.senior_required,
                        proposal.channel_id,
                        proposal.message_ts,
                        proposal.created_at,
                    )
                    for proposal in found
                )
                awaiting_total = uow.proposals.awaiting_review_count(user)
            stalled = tuple(
                StalledPromise(
                    promise.id,
                    slug,
                    promise.external_id,
                    promise.title,
                    promise.rated_at,
                    max(days_between(promise.rated_at, now), 0),
                    promise.last_reviewed_at,
                    promise.snoozed_until
                    if promise.snoozed_until and promise.snoozed_until > now
                    else None,
                )
                for promise, slug in uow.dashboard.longest_stalled(limit)
            )
            stalled_total = uow.dashboard.stalled_count()
            today = now.astimezone(self._tz).date()
            overdue_rows, overdue_total = uow.promises.overdue(today, None, limit)
            overdue = tuple(
                OverduePromise(
                    promise.id,
                    promise.tracker.slug,
                    promise.external_id,
                    promise.title,
                    promise.current_rating,
                    deadline,
                )
                for promise in overdue_rows
                if (
                    deadline := Deadline.of(
                        promise.due_on, promise.due_label, promise.current_rating, today
                    )
                )
            )
            changes = tuple(
                RecentChange(
                    change.promise_id,
                    slug,
                    external_id,
                    title,
                    change.from_rating,
                    change.to_rating,
                    change.effective_at,
                    change.proposal_id is not None,
                )
                for change, external_id, title, slug in uow.dashboard.latest_changes(limit)
            )
        return HomeDashboard(
            viewer=user,
            is_editor=is_editor,
            scores=scores,
            trackers_total=trackers_total,
            awaiting=awaiting,
            awaiting_total=awaiting_total,
            stalled=stalled,
            stalled_total=stalled_total,
            overdue=overdue,
            overdue_total=overdue_total,
            changes=changes,
            generated_at=now,
        )
