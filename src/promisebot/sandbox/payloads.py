"""The payloads Slack sends for slash commands, button presses, modal submissions and
events; over HTTP (the driver) or inside Socket Mode envelopes."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.sandbox.state_values import find_block_id

VERIFICATION_TOKEN = "fake-verification-token"


def _domain(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


class SlackPayloads:
    """Builds Slack-shaped payloads. With a `fake`, they carry its response URLs, trigger
    ids and user names, and a button press without `message` presses on the fake's last
    message in `channel`."""

    def __init__(
        self, fake: FakeSlack | None = None, team_id: str = "T0001", api_app_id: str = "A0001"
    ) -> None:
        self.fake = fake
        self.team_id = team_id
        self.api_app_id = api_app_id

    def command_payload(
        self,
        text: str,
        *,
        user: str = "U_REPORTER",
        channel: str = "C_NEWSROOM",
        command: str = "/promise",
        trigger_id: str | None = None,
    ) -> dict[str, str]:
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": self._channel_name(channel),
            "user_id": user,
            "user_name": self._user_name(user),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url(command.lstrip("/")),
            "trigger_id": trigger_id or self._trigger_id(),
        }

    def block_action_payload(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U_REPORTER",
        channel: str | None = "C_NEWSROOM",
        message: dict[str, Any] | None = None,
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        block_id: str | None = None,
        action_type: str = "button",
        response_url: bool = True,
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        action_ts = f"{time.time():.6f}"
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id or self._trigger_id(),
            "team": {"id": self.team_id, "domain": "example"},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = container or {"type": "view", "view_id": view.get("id", "")}
            blocks = view.get("blocks", [])
        else:
            message = dict(message or self._default_message(channel))
            message.pop("channel", None)
            payload["message"] = message
            payload["container"] = container or {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
            }
            blocks = message.get("blocks", [])
            if response_url:
                payload["response_url"] = self._response_url(action_id)
        if channel is not None:
            payload["channel"] = {"id": channel, "name": self._channel_name(channel)}
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or find_block_id(blocks, action_id) or "b",
            "type": action_type,
            "action_ts": action_ts,
        }
        if action_type in ("static_select", "external_select", "overflow", "radio_buttons"):
            action["selected_option"] = {
                "text": {"type": "plain_text", "text": value},
                "value": value,
            }
        else:
            action["value"] = value
        payload["actions"] = [action]
        return payload

    def view_submission_payload(
        self,
        callback_id: str,
        values: dict[str, Any],
        *,
        user: str = "U_REPORTER",
        private_metadata: str = "",
        view_id: str = "V0001",
    ) -> dict[str, Any]:
        opened = self.fake.view(view_id) if self.fake is not None else None
        view: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "title": {"type": "plain_text", "text": "Modal"},
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit"},
            "hash": "1700000000.fakehash",
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": "BBOT",
            **(opened or {}),
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
        }
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "example"},
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self._trigger_id(),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def message_shortcut_payload(
        self,
        callback_id: str,
        message: dict[str, Any],
        *,
        user: str = "U_REPORTER",
        channel: str = "C_NEWSROOM",
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        """A `message_action`: a message shortcut used on `message` (as Slack stores it; a
        `channel` key in it is dropped, as Slack sends the channel beside the message)."""
        message = {k: v for k, v in message.items() if k != "channel"}
        return {
            "type": "message_action",
            "token": VERIFICATION_TOKEN,
            "action_ts": f"{time.time():.6f}",
            "team": {"id": self.team_id, "domain": "example"},
            "user": {"id": user, "name": self._user_name(user), "team_id": self.team_id},
            "channel": {"id": channel, "name": self._channel_name(channel)},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": trigger_id or self._trigger_id(),
            "response_url": self._response_url(callback_id),
            "message_ts": message.get("ts", ""),
            "message": message,
        }

    def global_shortcut_payload(
        self, callback_id: str, *, user: str = "U_REPORTER", trigger_id: str | None = None
    ) -> dict[str, Any]:
        """A `shortcut`: a global shortcut from the ⚡ menu or the search bar."""
        return {
            "type": "shortcut",
            "token": VERIFICATION_TOKEN,
            "action_ts": f"{time.time():.6f}",
            "team": {"id": self.team_id, "domain": "example"},
            "user": {"id": user, "username": self._user_name(user), "team_id": self.team_id},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": trigger_id or self._trigger_id(),
        }

    def block_suggestion_payload(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U_REPORTER",
        view: dict[str, Any] | None = None,
        block_id: str | None = None,
    ) -> dict[str, Any]:
        """A `block_suggestion`: the options request of an external select in a modal."""
        view = view or {"id": "V0001", "type": "modal", "blocks": []}
        return {
            "type": "block_suggestion",
            "user": self._user(user),
            "container": {"type": "view", "view_id": view.get("id", "")},
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "action_id": action_id,
            "block_id": block_id or find_block_id(view.get("blocks", []), action_id) or "b",
            "value": value,
            "team": {"id": self.team_id, "domain": "example"},
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
        }

    def link_shared_event(
        self,
        urls: list[str],
        *,
        user: str = "U_REPORTER",
        channel: str = "C_NEWSROOM",
        message_ts: str | None = None,
        unfurl_id: str | None = None,
        source: str = "conversations_history",
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """`link_shared` for links on the app's unfurl domains; from the composer Slack sends
        a made-up message_ts, and only the unfurl_id can be used."""
        ts = message_ts or f"{time.time():.6f}"
        event: dict[str, Any] = {
            "type": "link_shared",
            "channel": channel,
            "is_bot_user_member": True,
            "user": user,
            "message_ts": ts,
            "unfurl_id": unfurl_id or f"{channel}.{ts}.{uuid.uuid4().hex}",
            "source": source,
            "links": [{"domain": _domain(url), "url": url} for url in urls],
            "event_ts": f"{time.time():.6f}",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return event

    def thread_message_event(
        self,
        text: str,
        *,
        user: str = "U_REPORTER",
        channel: str = "C_NEWSROOM",
        thread_ts: str,
        ts: str | None = None,
    ) -> dict[str, Any]:
        ts = ts or f"{time.time():.6f}"
        return {
            "type": "message",
            "client_msg_id": str(uuid.uuid4()),
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "parent_user_id": self._bot_user_id(),
            "channel": channel,
            "channel_type": "im" if channel.startswith("D") else "channel",
            "team": self.team_id,
            "event_ts": ts,
        }

    def app_home_opened_event(self, user: str) -> dict[str, Any]:
        return {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D{user}",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }

    def event_envelope(
        self, event: dict[str, Any], *, event_id: str | None = None
    ) -> dict[str, Any]:
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self._bot_user_id(),
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }

    # -- details taken from the fake when there is one --------------------------------

    def _bot_user_id(self) -> str:
        return self.fake.bot_user_id if self.fake is not None else "UBOTUSER"

    def _user_name(self, user: str) -> str:
        return str(self.fake.user(user)["name"]) if self.fake else user.lower()

    def _user(self, user: str) -> dict[str, str]:
        name = self._user_name(user)
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def _channel_name(self, channel: str) -> str:
        return str(self.fake.channel(channel)["name"]) if self.fake else channel.lower()

    def _response_url(self, tag: str) -> str:
        if self.fake is not None:
            return self.fake.response_url(tag)
        return f"https://hooks.slack.com/actions/{self.team_id}/1/{uuid.uuid4().hex}"

    def _trigger_id(self) -> str:
        if self.fake is not None:
            return self.fake.issue_trigger_id()
        return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"

    def _default_message(self, channel: str | None) -> dict[str, Any]:
        found = self.fake.last_message(channel) if self.fake is not None else None
        if found is not None:
            return found
        bot = self._bot_user_id()
        return {"type": "message", "ts": "1700000000.000001", "user": bot, "text": "", "blocks": []}
