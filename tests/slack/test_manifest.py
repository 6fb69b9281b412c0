"""app_manifest.yml matches the app: every slash command and event it handles is declared,
every declared event is handled, and the bot asks only for reviewed scopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from promisebot.slack.commands import COMMAND
from tests.slack.bot import EDITORS, Bot

MANIFEST = Path(__file__).resolve().parents[2] / "app_manifest.yml"

# Each scope, and why the code needs it. Adding one means adding its reason here.
REVIEWED_SCOPES = {
    "commands": "/promise",
    "chat:write": "cards, proposals, thread acknowledgements, digests",
    "chat:write.public": "digests and announcements in public channels without an invite",
    "channels:history": "review replies in proposal threads (public channels)",
    "groups:history": "review replies in proposal threads (private channels)",
    "im:write": "conversations.open for followers' notifications by direct message",
    "usergroups:read": "PROMISEBOT_EDITOR_GROUP members",
}
# Manifest event names → the event type Slack delivers.
EVENT_TYPES = {
    "app_home_opened": "app_home_opened",
    "message.channels": "message",
    "message.groups": "message",
}


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_manifest_declares_the_command_and_socket_mode() -> None:
    data = manifest()
    commands = [command["command"] for command in data["features"]["slash_commands"]]
    assert commands == [COMMAND]
    assert data["features"]["slash_commands"][0]["usage_hint"]
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    # Followers' notifications arrive as direct messages from the app: its Messages tab.
    assert data["features"]["app_home"]["messages_tab_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_read_only_enabled"] is False


def test_bot_scopes_are_exactly_the_reviewed_ones() -> None:
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == set(REVIEWED_SCOPES)


def test_every_declared_event_is_handled(bot: Bot) -> None:
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == set(EVENT_TYPES)
    for name in events:
        if EVENT_TYPES[name] == "app_home_opened":
            event = bot.driver.app_home_opened_event(EDITORS[0])
        else:
            event = bot.driver.thread_message_event(
                "just chatting", user=EDITORS[0], thread_ts="1700000000.000100"
            )
            event["channel_type"] = "group" if name == "message.groups" else "channel"
        # Bolt answers 404 for a request no listener matched.
        assert bot.driver.event(event).status_code == 200, name


def test_undeclared_commands_are_not_handled(bot: Bot) -> None:
    assert bot.driver.command("police", command="/other").status_code == 404
