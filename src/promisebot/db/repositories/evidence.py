"""Evidence rows: duplicate checks, the newest-first listing, and the background title fill."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from promisebot.db.models import Evidence


def evidence_by_url(session: Session, promise_id: int, url: str) -> Evidence | None:
    statement = select(Evidence).where(Evidence.promise_id == promise_id, Evidence.url == url)
    return session.scalars(statement).one_or_none()


def latest_for_promise(session: Session, promise_id: int, limit: int) -> Sequence[Evidence]:
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
    return session.scalars(statement).all()


def fill_empty_title(session: Session, evidence_id: int, title: str) -> bool:
    """Set the title only if it is still empty, in one statement, so an editor's title wins."""
    statement = (
        update(Evidence).where(Evidence.id == evidence_id, Evidence.title == "").values(title=title)
    )
    result = session.execute(statement)
    return isinstance(result, CursorResult) and result.rowcount == 1
