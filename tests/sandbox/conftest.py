"""Fixtures for the sandbox tests: a running fake Slack and a real Bolt app served over
HTTP (signing on) whose WebClient talks to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from promisebot.sandbox import FakeSlack, SlackDriver
from tests.sandbox.bolt import BoltOverHttp, QuietHandler
from tests.slack.bot import SIGNING_SECRET


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def web_client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.api_url, token="xoxb-test")


@pytest.fixture
def bolt(fake: FakeSlack, web_client: WebClient) -> Iterator[BoltOverHttp]:
    """A Bolt app (register listeners on `bolt.app`) at /slack/events, and a driver."""
    app = App(signing_secret=SIGNING_SECRET, client=web_client)
    server: WSGIServer = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    try:
        with SlackDriver(url, SIGNING_SECRET, fake=fake) as driver:
            yield BoltOverHttp(app, driver)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
