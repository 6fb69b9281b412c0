"""A real Bolt app in Socket Mode (slack_sdk's built-in client) against the fake
Socket Mode endpoint: hello, envelopes and acks, and reconnecting after a drop."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, Say
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from promisebot.sandbox import FakeSlack, FakeSocketMode, SlackDriver
from tests.slack.bot import SIGNING_SECRET


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def wait_for_new_session(handler: SocketModeHandler, old_session: str | None) -> None:
    # The sdk client swaps in its new session only after closing the old socket; closing
    # the handler before that swap would leak the new socket.
    wait_until(lambda: handler.client.session_id() not in (None, old_session))
    wait_until(handler.client.is_connected)


@pytest.fixture
def socket_mode(fake: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode(fake) as running:
        yield running


@pytest.fixture
def app(fake: FakeSlack) -> App:
    app = App(client=WebClient(base_url=fake.api_url, token="xoxb-test"))

    @app.command("/promise")
    def handle_promise(ack: Ack, command: dict[str, Any], say: Say) -> None:
        ack(f"looking up {command['text']}")
        say(f"found {command['text']}")

    return app


@pytest.fixture
def handler(app: App, socket_mode: FakeSocketMode) -> Iterator[SocketModeHandler]:
    # After a server-side close the sdk client reconnects from its monitor, which runs
    # every ping_interval seconds (Bolt's default is 10), so keep it short here.
    handler = SocketModeHandler(app, app_token="xapp-test", ping_interval=0.5)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        yield handler
    finally:
        handler.close()  # type: ignore[no-untyped-call]


def test_envelopes_are_acked_and_the_client_reconnects(
    fake: FakeSlack, socket_mode: FakeSocketMode, handler: SocketModeHandler
) -> None:
    payloads = SlackDriver("unused", SIGNING_SECRET, fake=fake)
    socket_mode.wait_for_connection()
    (opened,) = fake.calls("apps.connections.open")
    assert opened.token == "xapp-test"
    assert socket_mode.connection_count == 1

    first = socket_mode.push("slash_commands", payloads.command_payload("police"))

    ack = socket_mode.wait_for_ack(first)
    assert ack["payload"] == {"text": "looking up police"}
    assert fake.wait_for("chat.postMessage")[0].args["text"] == "found police"

    first_session = handler.client.session_id()
    socket_mode.drop_connections()
    socket_mode.wait_for_connection(opened=2)
    wait_for_new_session(handler, first_session)
    second = socket_mode.push("slash_commands", payloads.command_payload("schools"))

    assert socket_mode.wait_for_ack(second)["envelope_id"] == second
    assert len(fake.wait_for("apps.connections.open", count=2)) == 2
    assert fake.wait_for("chat.postMessage", count=2)[1].args["text"] == "found schools"


def test_refresh_request_makes_the_client_reconnect(
    fake: FakeSlack, socket_mode: FakeSocketMode, handler: SocketModeHandler
) -> None:
    socket_mode.wait_for_connection()
    first_session = handler.client.session_id()

    socket_mode.request_refresh()

    socket_mode.wait_for_connection(opened=2)
    wait_for_new_session(handler, first_session)
    assert len(fake.calls("apps.connections.open")) == 2


def test_bot_token_cannot_open_a_socket(fake: FakeSlack, socket_mode: FakeSocketMode) -> None:
    client = WebClient(base_url=fake.api_url, token="xoxb-test")

    with pytest.raises(SlackApiError) as refused:
        client.apps_connections_open(app_token="xoxb-not-an-app-token")

    assert refused.value.response["error"] == "not_allowed_token_type"
