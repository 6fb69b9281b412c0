"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from promisebot.db.models import AuditEvent


def record(
    session: Session,
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
    session.add(event)
    return event
