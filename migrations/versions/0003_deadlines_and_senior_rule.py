"""deadlines on promises (due_on, due_label); the senior-approval rule on proposals and reviews

Revision ID: 0003_deadlines_and_senior_rule
Revises: 0002_drop_schedule_cron
Create Date: 2026-11-29 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_deadlines_and_senior_rule"
down_revision: str | None = "0002_drop_schedule_cron"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, not batch copies, also on SQLite (3.35+): copying a table would
    # drop the original, and with foreign keys on that cascades to the rows referring to it.
    op.add_column("promises", sa.Column("due_on", sa.Date(), nullable=True))
    op.add_column(
        "promises",
        sa.Column("due_label", sa.String(length=60), server_default="", nullable=False),
    )
    op.create_index("ix_promises_due_on", "promises", ["due_on"])
    op.add_column(
        "proposals",
        sa.Column("senior_required", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "reviews",
        sa.Column("senior", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("reviews", "senior")
    op.drop_column("proposals", "senior_required")
    op.drop_index("ix_promises_due_on", table_name="promises")
    op.drop_column("promises", "due_label")
    op.drop_column("promises", "due_on")
