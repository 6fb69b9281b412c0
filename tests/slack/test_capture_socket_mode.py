"""The capture paths over Socket Mode, where they differ from HTTP: typeahead options
travel in the envelope's ack, shortcuts arrive as `interactive` envelopes and `link_shared`
as an `events_api` one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from promisebot.bootstrap import build_runtime
from promisebot.db.uow import Database
from promisebot.sandbox import FakeSlack, FakeSocketMode, SlackDriver
from promisebot.services.trackers import load_demo
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Act, Shortcuts
from tests.slack.bot import EDITORS
from tests.slack.test_unfurls import POLICE


@pytest.fixture
def socket_mode(db: Database, fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    settings = load_settings(
        slack_bot_token="xoxb-test-token",
        slack_app_token="xapp-test-token",
        slack_api_url=fake_slack.api_url,
        database_url=db.url,
        editors=",".join(EDITORS),
        fetch_link_titles=False,
    )
    runtime = build_runtime(settings, db=db)
    load_demo(db)
    with FakeSocketMode(fake_slack) as server:
        handler = SocketModeHandler(runtime.slack_app(), app_token="xapp-test-token")
        handler.connect()  # type: ignore[no-untyped-call]
        try:
            server.wait_for_connection()
            yield server
        finally:
            handler.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def payloads(fake_slack: FakeSlack) -> Iterator[SlackDriver]:
    with SlackDriver("unused", "unused", fake=fake_slack) as driver:
        yield driver


def test_typeahead_options_come_back_in_the_ack(
    socket_mode: FakeSocketMode, payloads: SlackDriver
) -> None:
    envelope = socket_mode.push(
        "interactive", payloads.block_suggestion_payload(Act.PICK_FOR_EVIDENCE, "border wall")
    )

    options = socket_mode.wait_for_ack(envelope)["payload"]["options"]
    assert options[0]["text"]["text"].endswith("(trump-2025/border-wall)")
    assert len(options) <= 100


def test_a_message_shortcut_opens_the_modal(
    socket_mode: FakeSocketMode, payloads: SlackDriver, fake_slack: FakeSlack
) -> None:
    message = fake_slack.post_user_message("C_NEWSROOM", "U_WRITER", "see https://example.com/a")
    payload = payloads.message_shortcut_payload(Shortcuts.ADD_EVIDENCE, message, user=EDITORS[0])

    envelope = socket_mode.push("interactive", payload)

    assert socket_mode.wait_for_ack(envelope)["envelope_id"] == envelope
    [opened] = fake_slack.wait_for("views.open")
    assert opened.args["trigger_id"] == payload["trigger_id"]
    fake_slack.wait_for("views.update")  # the permalink, filled in after


def test_link_shared_unfurls(
    socket_mode: FakeSocketMode, payloads: SlackDriver, fake_slack: FakeSlack
) -> None:
    message = fake_slack.post_user_message("C_NEWSROOM", "U_WRITER", f"see {POLICE}")
    event = payloads.link_shared_event([POLICE], message_ts=message["ts"])

    socket_mode.push("events_api", payloads.event_envelope(event))

    [call] = fake_slack.wait_for("chat.unfurl")
    assert list(call.args["unfurls"]) == [POLICE]
