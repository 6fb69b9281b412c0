"""Scenario fixtures: the real Bolt app served over HTTP on loopback with signature checks on,
its real WebClient pointed at the fake Slack, and a driver that signs requests like Slack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from promisebot.bootstrap import Runtime, build_runtime
from promisebot.db.uow import Database
from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.services.trackers import load_demo
from promisebot.settings import load_settings
from promisebot.slack.server import HttpServer, WsgiApp
from tests.clock import FakeClock

SIGNING_SECRET = "test-signing-secret"
EDITORS = ("U_ED1", "U_ED2", "U_ED3")
REPORTER = "U_REPORTER"


@dataclass
class Bot:
    fake: FakeSlack
    driver: SlackDriver
    runtime: Runtime
    server: HttpServer
    clock: FakeClock

    @property
    def db(self) -> Database:
        return self.runtime.db

    def promise_id(self, external_id: str) -> int:
        return self.runtime.services.lookup.find_one(external_id).id


def assert_valid_blocks(blocks: list[dict[str, Any]]) -> None:
    """Every block parses with slack_sdk's models and passes their validation."""
    assert len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def make_bot(db: Database, fake_slack: FakeSlack) -> Iterator[Callable[..., Bot]]:
    started: list[Bot] = []

    def start(*, demo: bool = True, **overrides: Any) -> Bot:
        options: dict[str, Any] = {
            "slack_bot_token": "xoxb-test-token",
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": fake_slack.api_url,
            "database_url": db.url,
            "editors": ",".join(EDITORS),
            "approvals_required": 2,
            "allow_private_fetch": True,
        }
        options.update(overrides)
        settings = load_settings(**options)
        clock = FakeClock()
        runtime = build_runtime(settings, clock=clock, db=db)
        if demo:
            load_demo(db)
        server = HttpServer(WsgiApp(runtime.slack_app(), db.ping), host="127.0.0.1", port=0)
        server.start()
        driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, fake_slack)
        bot = Bot(fake_slack, driver, runtime, server, clock)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.driver.close()
        bot.server.stop()


@pytest.fixture
def bot(make_bot: Callable[..., Bot]) -> Bot:
    return make_bot()
