"""The catalog version row: what a lookup reads (one primary-key read) to know whether its
in-memory index and standings (ratings, deadlines) are current, and what their writers bump."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from promisebot.db.models import CatalogVersion
from promisebot.db.repositories import Repository

_ROW = 1


@dataclass(frozen=True, slots=True)
class Versions:
    search: int
    standings: int


class CatalogRepository(Repository):
    """Bump `touch_search()` in the transaction that changes a promise's searchable text
    (title, description, tags, aliases, a new promise) and `touch_standings()` in the one that
    changes a rating or a deadline; every replica's lookups see it right after the commit."""

    def versions(self) -> Versions:
        row = self._session.execute(
            select(CatalogVersion.search, CatalogVersion.standings).where(CatalogVersion.id == _ROW)
        ).first()
        return Versions(0, 0) if row is None else Versions(row[0], row[1])

    def touch_search(self) -> None:
        self._bump(search=1)

    def touch_standings(self) -> None:
        self._bump(standings=1)

    def _bump(self, *, search: int = 0, standings: int = 0) -> None:
        # An upsert, so a database emptied by hand (or by tests) gets its row back.
        table = CatalogVersion.__table__
        statement = (
            self._insert(table)
            .values(id=_ROW, search=search, standings=standings)
            .on_conflict_do_update(
                index_elements=[table.c.id],
                set_={
                    "search": table.c.search + search,
                    "standings": table.c.standings + standings,
                },
            )
        )
        self._session.execute(statement)
