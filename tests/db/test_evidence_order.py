"""The card's evidence order in SQL: newest publication date, or the UTC day it was added."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from promisebot.db.models import Evidence
from promisebot.db.uow import Database
from tests.factories import add_promise

RATED = datetime(2025, 1, 6, 12, tzinfo=UTC)


def test_undated_evidence_counts_from_the_utc_day_it_was_added(db: Database) -> None:
    promise_id = add_promise(db, "p1", now=RATED, stalled_days=0, title="A promise")
    with db.transaction() as uow:
        for url, published_on, added_at in (
            ("old", date(2025, 2, 1), datetime(2025, 2, 1, 9, tzinfo=UTC)),
            # 01:30 UTC is still March 2nd in New York: the day must be taken in UTC.
            ("undated", None, datetime(2025, 3, 3, 1, 30, tzinfo=UTC)),
            ("dated", date(2025, 3, 2), datetime(2025, 3, 3, 2, tzinfo=UTC)),
            ("same-day-earlier", date(2025, 3, 2), datetime(2025, 3, 2, 8, tzinfo=UTC)),
        ):
            uow.add(
                Evidence(
                    promise_id=promise_id, url=url, published_on=published_on, added_at=added_at
                )
            )
        uow.commit()

    with db.reading() as uow:
        if db.is_postgres:
            uow.session.execute(text("SET TIME ZONE 'America/New_York'"))
        rows, total = uow.evidence.latest_with_total(promise_id, 3)
        urls = [row.url for row in rows]

    assert urls == ["undated", "dated", "same-day-earlier"]
    assert total == 4
