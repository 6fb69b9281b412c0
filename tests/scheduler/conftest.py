"""Fixtures for the scheduler tests: a fake Slack, settings pointing at it, a controllable
clock and digest runners ("replicas") sharing the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from promisebot.db.uow import Database
from promisebot.sandbox import FakeSlack
from promisebot.scheduler import DigestRunner
from promisebot.settings import Settings, load_settings
from promisebot.slack.client import build_web_client
from promisebot.slack.messenger import Messenger
from tests.clock import FakeClock
from tests.scheduler.support import MONDAY_9AM, build

RETRY_AFTER = timedelta(minutes=5)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_9AM + timedelta(minutes=1))


@pytest.fixture
def make_settings(fake: FakeSlack, db: Database) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        options: dict[str, Any] = {
            "slack_api_url": fake.api_url,
            "slack_bot_token": "xoxb-test",
            "database_url": db.url,
            "stalled_after_days": 30,
            "digest_grace_hours": 6,
        }
        return load_settings(**{**options, **overrides})

    return make


@pytest.fixture
def make_runner(
    db: Database, clock: FakeClock, make_settings: Callable[..., Settings]
) -> Callable[..., DigestRunner]:
    def make(claimer: str = "replica-a", **overrides: Any) -> DigestRunner:
        settings = make_settings(**overrides)
        messenger = Messenger(build_web_client(settings))
        services = build(db, clock, settings)
        return DigestRunner(services, messenger, claimer, retry_after=RETRY_AFTER)

    return make
