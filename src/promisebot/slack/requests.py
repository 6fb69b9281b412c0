"""Slack payloads turned into small typed objects before any business code sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A `/promise …` invocation; `args` is the text after the subcommand word."""

    user_id: str
    channel_id: str
    text: str
    trigger_id: str
    response_url: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> CommandRequest:
        return cls(
            user_id=str(body.get("user_id", "")),
            channel_id=str(body.get("channel_id", "")),
            text=str(body.get("text", "")).strip(),
            trigger_id=str(body.get("trigger_id", "")),
            response_url=str(body.get("response_url", "")),
        )


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """A button press (block_actions) with where it happened."""

    user_id: str
    action_id: str
    value: str
    channel_id: str | None
    message_ts: str | None
    thread_ts: str | None
    trigger_id: str
    response_url: str | None
    view_id: str | None
    is_ephemeral: bool

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ActionRequest:
        action = (body.get("actions") or [{}])[0]
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = body.get("channel") or {}
        value = action.get("value")
        if value is None and action.get("selected_option"):
            value = action["selected_option"].get("value")
        return cls(
            user_id=str((body.get("user") or {}).get("id", "")),
            action_id=str(action.get("action_id", "")),
            value=str(value or ""),
            channel_id=channel.get("id") or container.get("channel_id"),
            message_ts=message.get("ts") or container.get("message_ts"),
            thread_ts=message.get("thread_ts"),
            trigger_id=str(body.get("trigger_id", "")),
            response_url=body.get("response_url"),
            view_id=(body.get("view") or {}).get("id"),
            is_ephemeral=bool(container.get("is_ephemeral")),
        )

    @property
    def int_value(self) -> int | None:
        head = self.value.split(":", 1)[0]
        return int(head) if head.isdigit() else None
