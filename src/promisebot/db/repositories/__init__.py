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
