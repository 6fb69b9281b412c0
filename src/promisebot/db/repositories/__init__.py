"""Every query of the bot, one module per aggregate; repositories never commit.

A unit of work (`promisebot.db.uow`) owns one instance of each, bound to its session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class Repository:
    """A set of queries bound to one unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _insert(self, table: Any) -> Any:
        """An INSERT that supports ON CONFLICT on both PostgreSQL and SQLite."""
        if self._session.get_bind().dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _insert_claim(self, table: Any, keys: dict[str, object], claimer: str, at: Any) -> Any:
        """Insert a run's claim row, unique on `keys`; its id, or None when it exists.

        ON CONFLICT DO NOTHING rather than catching the unique violation, so a lost race
        never aborts the surrounding PostgreSQL transaction.
        """
        statement = (
            self._insert(table)
            .values(
                **keys, claimed_by=claimer, claimed_at=at, attempts=1, channel_id="", item_count=0
            )
            .on_conflict_do_nothing(index_elements=list(keys))
            .returning(table.id)
        )
        return self._session.execute(statement).scalar_one_or_none()
