"""The real app over Socket Mode, end to end: hello, a slash-command envelope, the ack that
carries the card, and a dropped connection re-established."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_bolt.adapter.socket_mode import SocketModeHandler

from promisebot.bootstrap import build_runtime
from promisebot.db.uow import Database
from promisebot.sandbox import FakeSlack, FakeSocketMode, SlackDriver
from promisebot.services.trackers import load_demo
from promisebot.settings import load_settings
from tests.blocks import assert_valid_blocks


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_slash_command_over_socket_mode_and_reconnect(db: Database, fake_slack: FakeSlack) -> None:
    settings = load_settings(
        slack_bot_token="xoxb-test-token",
        slack_app_token="xapp-test-token",
        slack_api_url=fake_slack.api_url,
        database_url=db.url,
    )
    runtime = build_runtime(settings, db=db)
    load_demo(db)
    payloads = SlackDriver("unused", "unused", fake=fake_slack)
    with FakeSocketMode(fake_slack) as socket_mode:
        handler = SocketModeHandler(
            runtime.slack_app(), app_token="xapp-test-token", ping_interval=0.5
        )
        handler.connect()  # type: ignore[no-untyped-call]
        try:
            socket_mode.wait_for_connection()
            first = socket_mode.push("slash_commands", payloads.command_payload("police liability"))
            ack = socket_mode.wait_for_ack(first)
            assert ack["envelope_id"] == first
            assert ack["payload"]["response_type"] == "ephemeral"
            assert_valid_blocks(ack["payload"]["blocks"])
            assert "Increase liability protections" in repr(ack["payload"]["blocks"])

            session = handler.client.session_id()
            socket_mode.drop_connections()
            socket_mode.wait_for_connection(opened=2)
            wait_until(lambda: handler.client.session_id() not in (None, session))
            wait_until(handler.client.is_connected)

            second = socket_mode.push("slash_commands", payloads.command_payload("border wall"))
            assert "Finish the wall" in repr(socket_mode.wait_for_ack(second)["payload"])
        finally:
            handler.close()  # type: ignore[no-untyped-call]
            payloads.close()
