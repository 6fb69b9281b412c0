"""app_manifest.yml matches the app: every slash command and event it handles is declared,
every declared event is handled, and the bot asks only for reviewed scopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from promisebot.slack.blocks.common import Shortcuts
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
    "links:read": "link_shared for the tracker's pages (unfurl_domains)",
    "links:write": "chat.unfurl: the live preview of a promise's page",
}
# Manifest event names → the event type Slack delivers.
EVENT_TYPES = {
    "app_home_opened": "app_home_opened",
    "message.channels": "message",
    "message.groups": "message",
    "link_shared": "link_shared",
}
# Each shortcut's callback id and the word a newsroom looks for in its name.
SHORTCUTS = {
    Shortcuts.ADD_EVIDENCE: ("message", "evidence"),
    Shortcuts.PROPOSE: ("message", "propose"),
    Shortcuts.LOOK_UP: ("global", "look up"),
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
        elif EVENT_TYPES[name] == "link_shared":
            event = bot.driver.link_shared_event(["https://promises.example.org/nothing-here"])
        else:
            event = bot.driver.thread_message_event(
                "just chatting", user=EDITORS[0], thread_ts="1700000000.000100"
            )
            event["channel_type"] = "group" if name == "message.groups" else "channel"
        # Bolt answers 404 for a request no listener matched.
        assert bot.driver.event(event).status_code == 200, name


def test_undeclared_commands_are_not_handled(bot: Bot) -> None:
    assert bot.driver.command("police", command="/other").status_code == 404


def test_every_declared_shortcut_is_handled(bot: Bot) -> None:
    shortcuts = manifest()["features"]["shortcuts"]
    declared = {item["callback_id"]: item for item in shortcuts}
    assert set(declared) == set(SHORTCUTS)
    for callback_id, (kind, word) in SHORTCUTS.items():
        item = declared[callback_id]
        assert item["type"] == kind
        assert word in item["name"].lower()
        assert 0 < len(item["description"]) <= 80  # Slack's limit for a shortcut description
        if kind == "message":
            message = bot.fake.post_user_message("C_NEWSROOM", "U_WRITER", "no links here")
            response = bot.driver.message_shortcut(callback_id, message, user=EDITORS[0])
        else:
            response = bot.driver.global_shortcut(callback_id, user=EDITORS[0])
        assert response.status_code == 200, callback_id
    assert bot.driver.global_shortcut("not.declared").status_code == 404


def test_unfurl_domains_are_declared() -> None:
    domains = manifest()["features"]["unfurl_domains"]
    assert 1 <= len(domains) <= 5
    assert all("/" not in domain and not domain.startswith("www.") for domain in domains)
