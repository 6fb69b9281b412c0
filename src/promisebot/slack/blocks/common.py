"""Block Kit building blocks shared by every renderer: escaping, limits, action ids.

User and database text goes through `escape` before it reaches mrkdwn, so `<!channel>` or a
fake `<http://evil|link>` typed by anyone shows up as literal text.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from promisebot.domain import Rating

Block = dict[str, Any]

# Slack's limits (https://api.slack.com/reference/block-kit/blocks).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
# Messages fail as msg_blocks_too_long at roughly 13k characters in total; stay well under.
MAX_MESSAGE_CHARS = 11000


class Act:
    """Action ids, namespaced by the thing they act on."""

    PICK = "promise.pick"
    SHARE = "promise.share"
    PROPOSE = "promise.propose"
    ADD_EVIDENCE = "promise.add_evidence"
    SNOOZE = "promise.snooze"
    REVIEWED = "promise.reviewed"
    APPROVE = "proposal.approve"
    REJECT = "proposal.reject"
    WITHDRAW = "proposal.withdraw"
    POST_PROPOSAL = "proposal.post"
    OPEN_LINK = "link.open"
    FOLLOW = "promise.follow"
    UNFOLLOW = "promise.unfollow"
    UNFOLLOW_SUBSCRIPTION = "follow.remove"
    FOLLOW_PREFERENCE = "follow.preference"


class Views:
    """Modal callback ids."""

    PROPOSE = "proposal.modal"
    REJECT = "proposal.reject_modal"
    POST_PROPOSAL = "proposal.post_modal"
    EVIDENCE = "evidence.modal"


@dataclass(frozen=True, slots=True)
class Message:
    """What to post: fallback text (notifications, screen readers) and blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ModalContext:
    """What a modal carries in `private_metadata`: the promise (propose, evidence) or the
    proposal (reject) it is about, and the channel it was started from (where answers go)."""

    subject_id: int
    channel_id: str | None

    def dump(self) -> str:
        return json.dumps({"id": self.subject_id, "channel": self.channel_id})

    @classmethod
    def load(cls, text: str) -> ModalContext | None:
        try:
            data = json.loads(text)
            channel = data.get("channel")
            return cls(int(data["id"]), str(channel) if channel else None)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def link(url: str, label: str) -> str:
    """A mrkdwn link; a URL that could break out of `<…|…>` is shown as plain text instead."""
    if any(ch in url for ch in "<>| \n") or not url.startswith(("http://", "https://")):
        return escape(label or url)
    label_text = escape(label.replace("|", "/")) if label else escape(url)
    return f"<{url.replace('&', '&amp;')}|{label_text}>"


def rating_badge(rating: Rating) -> str:
    return f"{rating.emoji} *{rating.label}*"


def format_day(value: date | datetime, tz: ZoneInfo | None = None) -> str:
    """`Oct 3, 2025`, in the newsroom's time zone for timestamps."""
    day = value.astimezone(tz).date() if isinstance(value, datetime) and tz else value
    if isinstance(day, datetime):
        day = day.date()
    return f"{day:%b} {day.day}, {day.year}"


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": truncate(text, MAX_TEXT)}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, MAX_HEADER_TEXT), "emoji": True},
    }


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text) for text in texts[:MAX_CONTEXT_ELEMENTS]]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
    }
    if value:
        element["value"] = value[:MAX_BUTTON_VALUE]
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:MAX_ACTIONS_ELEMENTS])}
    if block_id:
        block["block_id"] = block_id
    return block


def plain_text(text: str, limit: int = MAX_TEXT) -> Block:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def text_input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    max_length: int,
    placeholder: str = "",
    hint: str = "",
) -> Block:
    """A modal's plain-text input block."""
    element: Block = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if placeholder:
        element["placeholder"] = plain_text(placeholder, 150)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain_text(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def field_errors(
    errors: Mapping[str, str], inputs: Collection[str], fallback: str
) -> dict[str, str]:
    """A service's field errors as a modal's `errors`: each message beside its input (block
    ids are the field names), anything without an input beside `fallback`."""
    shown: dict[str, str] = {}
    for name, message in errors.items():
        block = name if name in inputs else fallback
        shown[block] = f"{shown[block]} {message}" if block in shown else message
    return shown


def message_size(blocks: list[Block]) -> int:
    """Characters of text in the blocks, the measure behind msg_blocks_too_long."""
    total = 0
    stack: list[Any] = list(blocks)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            total += len(item)
    return total


def fit(
    blocks: list[Block], *, max_blocks: int = MAX_MESSAGE_BLOCKS, tail: Block | None = None
) -> list[Block]:
    """Drop trailing blocks until the message fits Slack's limits, keeping `tail` last."""
    reserved = 1 if tail else 0
    kept = blocks[: max_blocks - reserved]
    while kept and message_size(kept) + (message_size([tail]) if tail else 0) > MAX_MESSAGE_CHARS:
        kept.pop()
    return [*kept, tail] if tail else kept
