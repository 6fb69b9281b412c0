"""Aliases of promises and the picks that teach them: the rows search reads, look-ups by
alias key, and the one-row-per-person pick record."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Row, delete, insert, select, text, update

from promisebot.db.models import PromiseAlias, SearchPick
from promisebot.db.repositories import Repository


class AliasRepository(Repository):
    """Promise aliases (given and learned) and search picks."""

    def search_rows(self) -> Sequence[Row[int, str, str, bool]]:
        """(promise id, alias, alias key, learned) of every alias, oldest first."""
        statement = select(
            PromiseAlias.promise_id,
            PromiseAlias.alias,
            PromiseAlias.alias_key,
            PromiseAlias.learned,
        ).order_by(PromiseAlias.id)
        return self._session.execute(statement).all()

    def of_promise(self, promise_id: int) -> Sequence[PromiseAlias]:
        """A promise's aliases: those given first, then the learned ones, each oldest first."""
        statement = (
            select(PromiseAlias)
            .where(PromiseAlias.promise_id == promise_id)
            .order_by(PromiseAlias.learned, PromiseAlias.id)
        )
        return self._session.scalars(statement).all()

    def of_trackers(self, tracker_ids: Collection[int]) -> Sequence[PromiseAlias]:
        if not tracker_ids:
            return []
        statement = (
            select(PromiseAlias)
            .where(PromiseAlias.tracker_id.in_(tracker_ids))
            .order_by(PromiseAlias.id)
        )
        return self._session.scalars(statement).all()

    def all_given(self) -> Sequence[PromiseAlias]:
        """Every alias an editor or a file gave (not the learned ones), oldest first."""
        statement = (
            select(PromiseAlias).where(PromiseAlias.learned.is_(False)).order_by(PromiseAlias.id)
        )
        return self._session.scalars(statement).all()

    def by_key(self, tracker_id: int, alias_key: str) -> PromiseAlias | None:
        statement = select(PromiseAlias).where(
            PromiseAlias.tracker_id == tracker_id, PromiseAlias.alias_key == alias_key
        )
        return self._session.scalars(statement).one_or_none()

    def learned_for(self, alias_key: str) -> Sequence[PromiseAlias]:
        statement = select(PromiseAlias).where(
            PromiseAlias.alias_key == alias_key, PromiseAlias.learned.is_(True)
        )
        return self._session.scalars(statement).all()

    def add(self, row: PromiseAlias) -> None:
        self._session.add(row)

    def insert_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._session.execute(insert(PromiseAlias), rows)

    def remove(self, alias_ids: Collection[int]) -> None:
        if alias_ids:
            self._session.execute(delete(PromiseAlias).where(PromiseAlias.id.in_(alias_ids)))

    def lock_query(self, query_key: str) -> None:
        """Serialise the picks of one query (PostgreSQL; SQLite writers already queue), so two
        people picking at once both see each other's pick."""
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": query_key}
            )

    def record_pick(
        self, *, promise_id: int, query_key: str, user_id: str, is_editor: bool, at: datetime
    ) -> bool:
        """Record a pick; False when this person had already picked this promise for it."""
        statement = (
            self._insert(SearchPick)
            .values(
                promise_id=promise_id,
                query_key=query_key,
                user_id=user_id,
                is_editor=is_editor,
                dismissed=False,
                picked_at=at,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "query_key", "promise_id"])
            # SQLAlchemy 2.1 drops an INSERT's rowcount on psycopg unless asked to keep it.
            .execution_options(preserve_rowcount=True)
        )
        result = self._session.execute(statement)
        return isinstance(result, CursorResult) and result.rowcount == 1

    def picks_for(self, query_key: str) -> Sequence[SearchPick]:
        """The picks after this query that still teach (not dismissed)."""
        statement = select(SearchPick).where(
            SearchPick.query_key == query_key, SearchPick.dismissed.is_(False)
        )
        return self._session.scalars(statement).all()

    def dismiss_picks(self, query_key: str, promise_id: int) -> None:
        self._session.execute(
            update(SearchPick)
            .where(SearchPick.query_key == query_key, SearchPick.promise_id == promise_id)
            .values(dismissed=True)
        )
