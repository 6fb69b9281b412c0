"""Evidence rows: the duplicate check and the background title fill."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CursorResult, Date, Row, cast, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from promisebot.db.models import Evidence
from promisebot.db.repositories import Repository


class EvidenceRepository(Repository):
    """Evidence rows of promises."""

    def evidence_by_url(self, promise_id: int, url: str) -> Evidence | None:
        statement = select(Evidence).where(Evidence.promise_id == promise_id, Evidence.url == url)
        return self._session.scalars(statement).one_or_none()

    def latest_with_total(
        self, promise_id: int, limit: int
    ) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
        """The card's evidence in one query: the newest `limit` (by publication date, or by the
        day it was added when undated; rows of url, title, publisher, published_on, note,
        added_at) and how many there are."""
        statement = (
            select(
                Evidence.url,
                Evidence.title,
                Evidence.publisher,
                Evidence.published_on,
                Evidence.note,
                Evidence.added_at,
                func.count().over().label("total"),
            )
            .where(Evidence.promise_id == promise_id)
            .order_by(
                func.coalesce(Evidence.published_on, self._day_added()).desc(),
                Evidence.added_at.desc(),
                Evidence.id.desc(),
            )
            .limit(limit)
        )
        rows = self._session.execute(statement).all()
        return rows, rows[0].total if rows else 0

    def _day_added(self) -> ColumnElement[Any]:
        """The UTC day of `added_at`, comparable with `published_on` on both databases."""
        if self._session.get_bind().dialect.name == "postgresql":
            # A bare ::date would use the session's TimeZone, not UTC.
            return cast(func.timezone("UTC", Evidence.added_at), Date)
        # SQLite keeps UTC timestamps as ISO text; date() gives 'YYYY-MM-DD' like published_on.
        return func.date(Evidence.added_at, type_=Date)

    def fill_empty_title(self, evidence_id: int, title: str) -> bool:
        """Set the title only if it is still empty, in one statement, so an editor's title wins."""
        statement = (
            update(Evidence)
            .where(Evidence.id == evidence_id, Evidence.title == "")
            .values(title=title)
        )
        result = self._session.execute(statement)
        return isinstance(result, CursorResult) and result.rowcount == 1
