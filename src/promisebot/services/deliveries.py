"""Slack event deliveries: claiming an event id so a redelivered event is handled once."""

from __future__ import annotations

from promisebot.db.uow import Database
from promisebot.domain import Clock


class DeliveryService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def first_delivery(self, event_id: str) -> bool:
        """Claim an event id before handling it: False when this event was handled (or is
        being handled) already, so a retried or duplicated delivery counts once."""
        with self._db.transaction() as uow:
            first = uow.events.first_delivery(event_id, self._clock())
            uow.commit()
        return first
