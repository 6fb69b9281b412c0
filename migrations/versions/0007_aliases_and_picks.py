"""promise_aliases and search_picks: the desk's search words and what people picked

Revision ID: 0007_aliases_and_picks
Revises: 0006_source_key
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import promisebot.db.models

revision: str = "0007_aliases_and_picks"
# Chained after main's head at the merge; the brief branched it from 0002.
down_revision: str | None = "0006_source_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promise_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("tracker_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=60), nullable=False),
        sa.Column("alias_key", sa.String(length=120), nullable=False),
        sa.Column("learned", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["promise_id"],
            ["promises.id"],
            name=op.f("fk_promise_aliases_promise_id_promises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tracker_id"],
            ["trackers.id"],
            name=op.f("fk_promise_aliases_tracker_id_trackers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise_aliases")),
        sa.UniqueConstraint(
            "tracker_id", "alias_key", name=op.f("uq_promise_aliases_tracker_id_alias_key")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_promise_aliases_promise_id"), "promise_aliases", ["promise_id"], unique=False
    )
    op.create_table(
        "search_picks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("query_key", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("is_editor", sa.Boolean(), nullable=False),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        sa.Column("picked_at", promisebot.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["promise_id"],
            ["promises.id"],
            name=op.f("fk_search_picks_promise_id_promises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_picks")),
        sa.UniqueConstraint(
            "user_id",
            "query_key",
            "promise_id",
            name=op.f("uq_search_picks_user_id_query_key_promise_id"),
        ),
    )
    op.create_index(op.f("ix_search_picks_query_key"), "search_picks", ["query_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_search_picks_query_key"), table_name="search_picks")
    op.drop_table("search_picks")
    op.drop_index(op.f("ix_promise_aliases_promise_id"), table_name="promise_aliases")
    op.drop_table("promise_aliases")
