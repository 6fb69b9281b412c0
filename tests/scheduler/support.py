"""Shared helpers for the digest tests: the week they run in, the users, the services."""

from __future__ import annotations

from datetime import UTC, datetime

from promisebot.bootstrap import build_services
from promisebot.db.uow import Database
from promisebot.domain import Clock
from promisebot.services import Services
from promisebot.settings import Settings, load_settings

# Monday 30 Nov 2026, 09:00 in New York (EST, UTC-5).
MONDAY_9AM = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"  # as a daily schedule's days are stored
EDITOR = "U_EDITOR"
REPORTER = "U_REPORTER"


def build(db: Database, clock: Clock, settings: Settings | None = None) -> Services:
    """The real services, composed as `bootstrap` does; EDITOR is the one editor unless
    `settings` say otherwise."""
    return build_services(settings or load_settings(editors=EDITOR), db, clock)
