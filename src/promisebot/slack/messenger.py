"""Posting and updating Slack messages: the one place that calls chat.* for the bot."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from promisebot.slack.blocks.common import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Posted:
    channel: str
    ts: str


class Messenger:
    """Thin wrapper over the Web API; user text is already escaped by the renderers, and we
    never ask Slack to parse it (no `link_names`, no `parse=full`)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(
        self,
        channel: str,
        message: Message,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Posted:
        response = self.client.chat_postMessage(
            channel=channel,
            text=message.text,
            blocks=message.blocks or None,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            metadata=metadata,
        )
        return Posted(channel=str(response["channel"]), ts=str(response["ts"]))

    def update(self, channel: str, ts: str, message: Message) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    def ephemeral(
        self, channel: str, user: str, message: Message, *, thread_ts: str | None = None
    ) -> None:
        self.client.chat_postEphemeral(
            channel=channel,
            user=user,
            text=message.text,
            blocks=message.blocks or None,
            thread_ts=thread_ts,
        )

    def respond(
        self,
        response_url: str,
        message: Message,
        *,
        visible: bool = False,
        replace_original: bool = False,
    ) -> None:
        """Answer through a `response_url` (works in channels the bot has not joined)."""
        body = {
            "text": message.text,
            "blocks": message.blocks,
            "response_type": "in_channel" if visible else "ephemeral",
            "replace_original": replace_original,
        }
        with httpx.Client(timeout=10) as http:
            http.post(response_url, json=body).raise_for_status()

    def tell(
        self,
        user: str,
        message: Message,
        *,
        channel: str | None = None,
        thread_ts: str | None = None,
        response_url: str | None = None,
    ) -> bool:
        """Tell one person something only they should see, wherever they are; never raises.

        Through the `response_url` when there is one (it works in channels the bot has not
        joined), else ephemerally in the channel (and thread), else, or when Slack refuses,
        by direct message. False when nothing could be delivered (logged)."""
        if response_url:
            try:
                self.respond(response_url, message)
                return True
            except httpx.HTTPError as error:
                log.info("response_url answer to %s failed: %s", user, type(error).__name__)
        if channel:
            try:
                self.ephemeral(channel, user, message, thread_ts=thread_ts)
                return True
            except SlackApiError as error:
                log.info("chat.postEphemeral to %s refused: %s", user, error.response.get("error"))
            except Exception:
                log.warning("chat.postEphemeral to %s failed", user, exc_info=True)
        try:
            self.post(user, message)
            return True
        except SlackApiError as error:
            log.warning("DM to %s not delivered: %s", user, error.response.get("error"))
        except Exception:
            log.warning("DM to %s failed", user, exc_info=True)
        return False

    def open_dm(self, user: str) -> str:
        """The id of the app's direct-message channel with a person (opened if need be)."""
        response = self.client.conversations_open(users=user)
        return str((response.get("channel") or {})["id"])

    def permalink(self, channel: str, ts: str) -> str | None:
        try:
            response = self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError as error:
            log.warning("chat.getPermalink failed: %s", error.response.get("error"))
            return None
        link = response.get("permalink")
        return str(link) if link else None
