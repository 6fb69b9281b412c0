"""The scenario tests' running bot: the Bolt app over signed HTTP, its runtime and clock,
the fake Slack it talks to, and the users it knows."""

from __future__ import annotations

from dataclasses import dataclass

from promisebot.bootstrap import Runtime
from promisebot.db.uow import Database
from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.slack.server import HttpServer
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
