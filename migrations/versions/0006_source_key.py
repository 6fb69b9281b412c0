"""promises.source_key: the normalised public-page link that unfurls look promises up by

Revision ID: 0006_source_key
Revises: 0005_catalog_version
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from promisebot.domain import page_key

revision: str = "0006_source_key"
down_revision: str | None = "0005_catalog_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_promises = sa.table(
    "promises",
    sa.column("id", sa.Integer),
    sa.column("source_url", sa.String),
    sa.column("source_key", sa.String),
)


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch copy, also on SQLite: copying the table would drop the
    # original, and with foreign keys on that cascades to its evidence and history.
    op.add_column(
        "promises",
        sa.Column("source_key", sa.String(length=2000), server_default="", nullable=False),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_promises.c.id, _promises.c.source_url).where(_promises.c.source_url != "")
    ).all()
    for promise_id, url in rows:
        connection.execute(
            _promises.update()
            .where(_promises.c.id == promise_id)
            .values(source_key=page_key(url or ""))
        )
    op.create_index(op.f("ix_promises_source_key"), "promises", ["source_key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_promises_source_key"), table_name="promises")
    op.drop_column("promises", "source_key")
