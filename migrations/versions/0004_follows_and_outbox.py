"""follows, preferences, outbox, deliveries, summary runs; schedule kind

Revision ID: 0004_follows_and_outbox
Revises: 0003_deadlines_and_senior_rule
Create Date: 2026-11-29 20:42:49.713782
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import promisebot.db.models

revision: str = "0004_follows_and_outbox"
down_revision: str | None = "0003_deadlines_and_senior_rule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follower_preferences",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("notify_proposals", sa.Boolean(), nullable=False),
        sa.Column("daily_summary", sa.Boolean(), nullable=False),
        sa.Column("updated_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_follower_preferences")),
    )
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.String(length=64), nullable=False),
        sa.Column("is_channel", sa.Boolean(), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target_key", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_reason", sa.String(length=100), nullable=True),
        sa.Column("paused_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint(
            "subscriber_id",
            "target_kind",
            "target_key",
            name=op.f("uq_follows_subscriber_id_target_kind_target_key"),
        ),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follows_target_kind_target_key"),
            ["target_kind", "target_key"],
            unique=False,
        )

    op.create_table(
        "summary_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.String(length=64), nullable=False),
        sa.Column("period_key", sa.String(length=40), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("posted_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_runs")),
        sa.UniqueConstraint(
            "subscriber_id", "period_key", name=op.f("uq_summary_runs_subscriber_id_period_key")
        ),
    )
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("tracker_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expanded_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["promise_id"],
            ["promises.id"],
            name=op.f("fk_outbox_events_promise_id_promises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tracker_id"],
            ["trackers.id"],
            name=op.f("fk_outbox_events_tracker_id_trackers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_events_dedupe_key")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_events_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_events_expanded_at_id"), ["expanded_at", "id"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.String(length=64), nullable=False),
        sa.Column("is_channel", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("created_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column(
            "first_claimed_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("lease_until", promisebot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("summary_run_id", sa.Integer(), nullable=True),
        sa.Column("done_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name=op.f("fk_deliveries_event_id_outbox_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["summary_run_id"],
            ["summary_runs.id"],
            name=op.f("fk_deliveries_summary_run_id_summary_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "event_id", "subscriber_id", name=op.f("uq_deliveries_event_id_subscriber_id")
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_done_at_mode_lease_until"),
            ["done_at", "mode", "lease_until"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deliveries_subscriber_id_done_at"),
            ["subscriber_id", "done_at"],
            unique=False,
        )

    # Plain ALTER TABLE on SQLite too: a batch copy would drop the table, and with foreign
    # keys on that cascades to its digest_runs (see 0002).
    op.add_column(
        "reminder_schedules",
        sa.Column("kind", sa.String(length=20), server_default="stalled", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("reminder_schedules", "kind")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_subscriber_id_done_at"))
        batch_op.drop_index(batch_op.f("ix_deliveries_done_at_mode_lease_until"))

    op.drop_table("deliveries")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_expanded_at_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_events_created_at"))

    op.drop_table("outbox_events")
    op.drop_table("summary_runs")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follows_target_kind_target_key"))

    op.drop_table("follows")
    op.drop_table("follower_preferences")
