"""The append-only audit trail."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select

from promisebot.db.models import AuditEvent
from promisebot.db.repositories import Repository


class AuditLog(Repository):
    """Appends to the audit trail, and reads back the latest of some actions."""

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: object,
        at: datetime,
        **details: Any,
    ) -> AuditEvent:
        event = AuditEvent(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            at=at,
            details=details,
        )
        self._session.add(event)
        return event

    def latest(
        self,
        *,
        subject_type: str,
        subject_ids: Collection[object],
        actions: Collection[str],
        since: datetime,
    ) -> dict[str, AuditEvent]:
        """Per subject id, its newest event of `actions` at or after `since`."""
        if not subject_ids:
            return {}
        statement = (
            select(AuditEvent)
            .where(
                AuditEvent.subject_type == subject_type,
                AuditEvent.subject_id.in_([str(i) for i in subject_ids]),
                AuditEvent.action.in_(list(actions)),
                AuditEvent.at >= since,
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return {event.subject_id: event for event in self._session.scalars(statement)}
