"""drop reminder_schedules.cron (never read or written)

Revision ID: 0002_drop_schedule_cron
Revises: 0001
Create Date: 2026-11-29 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_drop_schedule_cron"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE, not a batch copy, also on SQLite (3.35+): copying the table would
    # drop the original, and with foreign keys on that cascades to its digest_runs.
    op.drop_column("reminder_schedules", "cron")


def downgrade() -> None:
    op.add_column("reminder_schedules", sa.Column("cron", sa.String(length=100), nullable=True))
