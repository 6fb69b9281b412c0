"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from promisebot.db.models import AuditEvent
from promisebot.db.repositories import Repository


class AuditLog(Repository):
    """Appends to the audit trail."""

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
