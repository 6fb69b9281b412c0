"""Evidence rows: the duplicate check and the background title fill."""

from __future__ import annotations

from sqlalchemy import CursorResult, select, update

from promisebot.db.models import Evidence
from promisebot.db.repositories import Repository


class EvidenceRepository(Repository):
    """Evidence rows of promises."""

    def evidence_by_url(self, promise_id: int, url: str) -> Evidence | None:
        statement = select(Evidence).where(Evidence.promise_id == promise_id, Evidence.url == url)
        return self._session.scalars(statement).one_or_none()

    def fill_empty_title(self, evidence_id: int, title: str) -> bool:
        """Set the title only if it is still empty, in one statement, so an editor's title wins."""
        statement = (
            update(Evidence)
            .where(Evidence.id == evidence_id, Evidence.title == "")
            .values(title=title)
        )
        result = self._session.execute(statement)
        return isinstance(result, CursorResult) and result.rowcount == 1
