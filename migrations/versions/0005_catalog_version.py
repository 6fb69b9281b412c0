"""catalog_version: the counters that tell a replica its in-memory search index is current

Revision ID: 0005_catalog_version
Revises: 0004_follows_and_outbox
Create Date: 2026-11-30 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_catalog_version"
down_revision: str | None = "0004_follows_and_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("search", sa.Integer(), nullable=False),
        sa.Column("standings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
    )
    op.bulk_insert(table, [{"id": 1, "search": 1, "standings": 1}])


def downgrade() -> None:
    op.drop_table("catalog_version")
