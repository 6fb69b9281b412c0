"""Evidence rows: duplicate checks, the newest-first listing, and the background title fill."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import CursorResult, select, update

from promisebot.db.models import Evidence
from promisebot.db.repositories import Repository


class EvidenceRepository(Repository):
    """Evidence rows of promises."""

    def evidence_by_url(self, promise_id: int, url: str) -> Evidence | None:
        statement = select(Evidence).where(Evidence.promise_id == promise_id, Evidence.url == url)
        return self._session.scalars(statement).one_or_none()

    def latest_for_promise(self, promise_id: int, limit: int) -> Sequence[Evidence]:
        """Newest first: by publication date (undated last), then by when it was added."""
        statement = (
            select(Evidence)
            .where(Evidence.promise_id == promise_id)
            .order_by(
                Evidence.published_on.desc().nulls_last(),
                Evidence.added_at.desc(),
                Evidence.id.desc(),
            )
            .limit(limit)
        )
        return self._session.scalars(statement).all()

    def fill_empty_title(self, evidence_id: int, title: str) -> bool:
        """Set the title only if it is still empty, in one statement, so an editor's title wins."""
        statement = (
            update(Evidence)
            .where(Evidence.id == evidence_id, Evidence.title == "")
            .values(title=title)
        )
        result = self._session.execute(statement)
        return isinstance(result, CursorResult) and result.rowcount == 1
