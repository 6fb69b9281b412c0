"""Scenario fixtures: the real Bolt app served over HTTP on loopback with signature checks on,
its real WebClient pointed at the fake Slack, and a driver that signs requests like Slack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from promisebot.bootstrap import build_runtime
from promisebot.db.uow import Database
from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.services.trackers import load_demo
from promisebot.settings import load_settings
from promisebot.slack.server import HttpServer, WsgiApp
from tests.clock import FakeClock
from tests.slack.bot import EDITORS, SIGNING_SECRET, Bot
from tests.slack.proposal_helpers import ANNOUNCE, REVIEW, Desk


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
    """No title fetching unless a test asks for it: nothing may leave the machine."""
    return make_bot(fetch_link_titles=False)


@pytest.fixture
def desk(make_bot: Callable[..., Bot]) -> Desk:
    """The proposal scenarios' bot: review and announce channels, no link-title fetching."""
    return Desk(make_bot(review_channel=REVIEW, announce_channel=ANNOUNCE, fetch_link_titles=False))
