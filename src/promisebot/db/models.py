"""Typed ORM tables for every entity of the tracker, with the constraints correctness relies on.

The metadata carries a naming convention so Alembic migrations name constraints stably.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from promisebot.domain import ProposalStatus, Rating, Verdict, page_key

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps no offset itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(enum_type: type[Any], name: str) -> Enum:
    return Enum(
        enum_type,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def _source_key_default(context: Any) -> str:
    return page_key(str(context.get_current_parameters().get("source_url") or ""))


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Tracker(Base):
    __tablename__ = "trackers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=_now)

    promises: Mapped[list[Promise]] = relationship(back_populates="tracker")


class Promise(Base):
    __tablename__ = "promises"
    __table_args__ = (
        UniqueConstraint("tracker_id", "external_id"),
        Index(None, "external_id"),
        Index(None, "current_rating", "last_reviewed_at"),
        Index(None, "updated_at"),
        Index(None, "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracker_id: Mapped[int] = mapped_column(ForeignKey("trackers.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    current_rating: Mapped[Rating] = mapped_column(_enum(Rating, "current_rating"))
    rated_at: Mapped[datetime]
    last_reviewed_at: Mapped[datetime]
    snoozed_until: Mapped[datetime | None]
    source_url: Mapped[str] = mapped_column(String(2000), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    due_label: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # `page_key(source_url)`, so a link to the public page finds the promise however it is
    # written; kept in step by the default (bulk inserts) and the validator (ORM writes).
    source_key: Mapped[str] = mapped_column(
        String(2000), default=_source_key_default, server_default="", index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)

    tracker: Mapped[Tracker] = relationship(back_populates="promises")
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="promise", order_by="Evidence.id", cascade="all, delete-orphan"
    )
    rating_changes: Mapped[list[RatingChange]] = relationship(
        back_populates="promise", order_by="RatingChange.id", cascade="all, delete-orphan"
    )

    @validates("source_url")
    def _keep_source_key(self, _key: str, url: str) -> str:
        self.source_key = page_key(url or "")
        return url


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("promise_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(300), default="")
    publisher: Mapped[str] = mapped_column(String(200), default="")
    published_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(64), default="")
    added_at: Mapped[datetime] = mapped_column(default=_now)

    promise: Mapped[Promise] = relationship(back_populates="evidence")


class RatingChange(Base):
    """Append-only history: rows are inserted, never updated or deleted by the app."""

    __tablename__ = "rating_changes"
    __table_args__ = (Index(None, "promise_id", "effective_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"))
    from_rating: Mapped[Rating] = mapped_column(_enum(Rating, "from_rating"))
    to_rating: Mapped[Rating] = mapped_column(_enum(Rating, "to_rating"))
    effective_at: Mapped[datetime]
    rationale: Mapped[str] = mapped_column(Text, default="")
    proposed_by: Mapped[str] = mapped_column(String(64), default="")
    approved_by: Mapped[list[str]] = mapped_column(default=list)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), unique=True
    )
    recorded_at: Mapped[datetime] = mapped_column(default=_now)

    promise: Mapped[Promise] = relationship(back_populates="rating_changes")


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        Index(None, "promise_id", "status"),
        Index(None, "status", "created_at"),
        UniqueConstraint("channel_id", "message_ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"))
    from_rating: Mapped[Rating] = mapped_column(_enum(Rating, "from_rating"))
    to_rating: Mapped[Rating] = mapped_column(_enum(Rating, "to_rating"))
    rationale: Mapped[str] = mapped_column(Text)
    evidence_links: Mapped[list[str]] = mapped_column(default=list)
    effective_on: Mapped[date | None] = mapped_column(Date)
    proposed_by: Mapped[str] = mapped_column(String(64))
    approvals_required: Mapped[int] = mapped_column(Integer)
    # Snapshot of PROMISEBOT_SENIOR_REQUIRED_FOR when proposed: one approval must be a senior's.
    senior_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus, "status"), default=ProposalStatus.OPEN
    )
    channel_id: Mapped[str | None] = mapped_column(String(64))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))

    promise: Mapped[Promise] = relationship()
    reviews: Mapped[list[Review]] = relationship(
        back_populates="proposal", order_by="Review.id", cascade="all, delete-orphan"
    )


class Review(Base):
    """One per reviewer per proposal: retries and double clicks update, never add."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("proposal_id", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    reviewer: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[Verdict] = mapped_column(_enum(Verdict, "verdict"))
    # The reviewer was a senior editor when they gave this verdict.
    senior: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = mapped_column(default=_now)

    proposal: Mapped[Proposal] = relationship(back_populates="reviews")


class ReminderSchedule(Base):
    __tablename__ = "reminder_schedules"
    __table_args__ = (Index(None, "enabled"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    days_of_week: Mapped[str] = mapped_column(String(40), default="mon")
    local_time: Mapped[str] = mapped_column(String(5), default="09:00")
    timezone: Mapped[str] = mapped_column(String(64))
    stalled_after_days: Mapped[int] = mapped_column(Integer)
    tracker_id: Mapped[int | None] = mapped_column(ForeignKey("trackers.id", ondelete="CASCADE"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    # "stalled" (still-stalled digest) or "changes" (weekly "what changed" digest).
    kind: Mapped[str] = mapped_column(String(20), default="stalled", server_default="stalled")

    tracker: Mapped[Tracker | None] = relationship()


class ClaimedRun:
    """A claim row's columns: who claimed the period when, how often it was tried, and what
    was posted (`posted_at` set once; `message_ts` None when there was nothing to post)."""

    claimed_by: Mapped[str] = mapped_column(String(100), default="", sort_order=10)
    claimed_at: Mapped[datetime] = mapped_column(default=_now, sort_order=10)
    attempts: Mapped[int] = mapped_column(Integer, default=0, sort_order=10)
    posted_at: Mapped[datetime | None] = mapped_column(sort_order=10)
    channel_id: Mapped[str] = mapped_column(String(64), default="", sort_order=10)
    message_ts: Mapped[str | None] = mapped_column(String(32), sort_order=10)
    item_count: Mapped[int] = mapped_column(Integer, default=0, sort_order=10)


class DigestRun(ClaimedRun, Base):
    """The claim row: unique (schedule, period) makes a digest exactly-once across replicas."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_schedules.id", ondelete="CASCADE")
    )
    period_key: Mapped[str] = mapped_column(String(40))


class AuditEvent(Base):
    """Append-only record of every state-changing action."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "subject_type", "subject_id"), Index(None, "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=_now)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProcessedEvent(Base):
    """Slack event ids already handled, so a redelivered event is ignored."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=_now)


class PromiseAlias(Base):
    """A search word for a promise: given by an editor (or an import), or learned from picks.

    `alias_key` is the alias as search compares it; one tracker never has the same key on two
    promises. Every change bumps the catalog version (`uow.catalog.touch_search()`).
    """

    __tablename__ = "promise_aliases"
    __table_args__ = (
        UniqueConstraint("tracker_id", "alias_key"),
        Index(None, "promise_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"))
    tracker_id: Mapped[int] = mapped_column(ForeignKey("trackers.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(60))
    alias_key: Mapped[str] = mapped_column(String(120))
    learned: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by: Mapped[str] = mapped_column(String(64), default="")
    added_at: Mapped[datetime] = mapped_column(default=_now)


class SearchPick(Base):
    """Someone pressed a promise on the pick-list of a query (its `query_key`); one row per
    person, query and promise, so repeated presses count once. `dismissed` picks no longer
    teach: an editor removed the alias they had taught."""

    __tablename__ = "search_picks"
    __table_args__ = (
        UniqueConstraint("user_id", "query_key", "promise_id"),
        Index(None, "query_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"))
    query_key: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[str] = mapped_column(String(64))
    is_editor: Mapped[bool] = mapped_column(Boolean, default=False)
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)
    picked_at: Mapped[datetime] = mapped_column(default=_now)


class Follow(Base):
    """A subscription: a person (U…) or a channel following a promise, a tag or a tracker.
    Paused, with the reason, when Slack refuses to deliver to the subscriber."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "target_kind", "target_key"),
        Index(None, "target_kind", "target_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(String(64))
    is_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    target_kind: Mapped[str] = mapped_column(String(10))  # promise | tag | tracker
    target_key: Mapped[str] = mapped_column(String(200))  # promise id, tag, tracker slug
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    paused_reason: Mapped[str | None] = mapped_column(String(100))
    paused_at: Mapped[datetime | None]


class FollowerPreference(Base):
    """A person's notification choices (App Home); no row means the defaults (both off)."""

    __tablename__ = "follower_preferences"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    notify_proposals: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=_now)


class OutboxEvent(Base):
    """A change, written in the transaction that made it; fanned out to deliveries later."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index(None, "expanded_at", "id"), Index(None, "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"))
    tracker_id: Mapped[int] = mapped_column(ForeignKey("trackers.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    expanded_at: Mapped[datetime | None]


class SummaryRun(ClaimedRun, Base):
    """The claim row of one person's daily summary: unique (subscriber, period)."""

    __tablename__ = "summary_runs"
    __table_args__ = (UniqueConstraint("subscriber_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(String(64))
    period_key: Mapped[str] = mapped_column(String(40))


class Delivery(Base):
    """One notification: unique (event, subscriber), however many subscriptions matched.

    A sender claims it with a lease (`claimed_by`, `lease_until`); a sender that dies before
    posting leaves the lease to run out and another sender posts it. `done_at` is set once:
    posted (`message_ts`), or given up with the reason in `outcome`.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscriber_id"),
        Index(None, "done_at", "mode", "lease_until"),
        Index(None, "subscriber_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    subscriber_id: Mapped[str] = mapped_column(String(64))
    is_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(10), default="now")  # now | summary
    created_at: Mapped[datetime] = mapped_column(default=_now)
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    first_claimed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    summary_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("summary_runs.id", ondelete="SET NULL")
    )
    done_at: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(String(64))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(120), default="")


class CatalogVersion(Base):
    """One row of counters, bumped in the same transaction as the change they stand for, so
    every replica learns with one primary-key read whether its in-memory copy is current."""

    __tablename__ = "catalog_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped whenever a promise's searchable text may have changed (a new promise, an
    # import that changed a title, description or tags, an alias).
    search: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped whenever a promise's standing changes: its rating (or when it took effect) or
    # its deadline.
    standings: Mapped[int] = mapped_column(Integer, default=0)
