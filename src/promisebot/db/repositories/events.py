"""Slack event ids already handled: a redelivered event is recognised by the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete

from promisebot.db.models import ProcessedEvent
from promisebot.db.repositories import Repository


class ProcessedEvents(Repository):
    """Slack event ids seen before."""

    def first_delivery(self, event_id: str, at: datetime) -> bool:
        """True the first time an event id is seen; a concurrent duplicate waits, then False."""
        statement = (
            self._insert(ProcessedEvent)
            .values(event_id=event_id, received_at=at)
            .on_conflict_do_nothing(index_elements=["event_id"])
            # SQLAlchemy 2.1 drops an INSERT's rowcount on psycopg unless asked to keep it.
            .execution_options(preserve_rowcount=True)
        )
        result = self._session.execute(statement)
        return isinstance(result, CursorResult) and result.rowcount == 1

    def forget_before(self, cutoff: datetime) -> int:
        result = self._session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)
        )
        return result.rowcount if isinstance(result, CursorResult) else 0
