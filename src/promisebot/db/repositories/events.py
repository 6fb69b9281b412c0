"""Slack event ids already handled: a redelivered event is recognised by the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from promisebot.db.models import ProcessedEvent


def first_delivery(session: Session, event_id: str, at: datetime) -> bool:
    """True the first time an event id is seen; a concurrent duplicate waits, then gets False."""
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ProcessedEvent)
        .values(event_id=event_id, received_at=at)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # SQLAlchemy 2.1 drops an INSERT's rowcount on psycopg unless asked to keep it.
        .execution_options(preserve_rowcount=True)
    )
    result = session.execute(statement)
    return isinstance(result, CursorResult) and result.rowcount == 1


def forget_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
    return result.rowcount if isinstance(result, CursorResult) else 0
