"""Slack payloads turned into small typed objects before any business code sees them.

Slack sends text with `&`, `<`, `>` as entities and its own `<@U…>`/`<#C…>`/`<url|label>`
markup; both are undone here, once (`typed_text`), so the rest of the bot sees what was typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_MARKUP = re.compile(r"<([^<>]*)>")
_LEADING_MENTION = re.compile(r"^\s*<@(?P<user>[A-Z0-9]+)(?:\|[^>]*)?>\s*[:,]?\s*", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?://)?", re.IGNORECASE)
# Where a slash command says it was typed when the bot may not be able to post there.
_UNPOSTABLE_CHANNEL_NAMES = ("directmessage", "privategroup")
# Message subtypes that are still a person's new message: a reply also sent to the channel,
# and a reply with files attached (its text decides, like any reply).
_PERSON_SUBTYPES = (None, "thread_broadcast", "file_share")


def decode_entities(text: str) -> str:
    """Slack escapes exactly these three; `&amp;` last so "&amp;lt;" stays a literal "&lt;"."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def typed_text(text: str, *, link_labels: bool = True) -> str:
    """Slack text as a person typed it: mentions, channels and links parsed out of Slack's
    markup (`<@U1|ann>` → `@ann`, `<url|label>` → `label (url)`, or just `url` without
    `link_labels`), then the entities decoded. Runs once, on the raw text from Slack."""
    return decode_entities(_MARKUP.sub(lambda match: _unwrap(match, link_labels), text))


def _unwrap(match: re.Match[str], link_labels: bool) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^", 1)[0])
    if not target or any(ch.isspace() for ch in target):
        return match.group(0)  # not Slack's markup: a link target never holds a space
    if not link_labels or not label or label in (target, _SCHEME.sub("", target)):
        return target.removeprefix("mailto:")
    return f"{label} ({target})"


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A `/promise …` invocation; `args` is the text after the subcommand word."""

    user_id: str
    channel_id: str
    text: str  # as typed: entities decoded, links reduced to their URL
    trigger_id: str
    response_url: str
    channel_name: str = ""  # "directmessage" / "privategroup" where the bot may not post

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> CommandRequest:
        return cls(
            user_id=str(body.get("user_id", "")),
            channel_id=str(body.get("channel_id", "")),
            text=typed_text(str(body.get("text", "")), link_labels=False).strip(),
            trigger_id=str(body.get("trigger_id", "")),
            response_url=str(body.get("response_url", "")),
            channel_name=str(body.get("channel_name", "")),
        )

    @property
    def bot_may_not_post_here(self) -> bool:
        """A DM or a private channel: the bot cannot post there unless it was invited."""
        return self.channel_name in _UNPOSTABLE_CHANNEL_NAMES or self.channel_id.startswith("D")


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
    channel_name: str = ""

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
            channel_name=str(channel.get("name") or ""),
        )

    @property
    def bot_may_not_post_here(self) -> bool:
        """Pressed in a DM (or App Home), or a private channel, where the bot may not post."""
        channel = self.channel_id or ""
        return (
            not channel or channel.startswith("D") or self.channel_name in _UNPOSTABLE_CHANNEL_NAMES
        )

    @property
    def int_value(self) -> int | None:
        head = self.value.split(":", 1)[0]
        return int(head) if head.isdigit() else None


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A person's new message inside a thread; None for everything the bot must ignore.
    `mention` is the user a leading `@someone` names; `text` is the rest, as typed."""

    channel_id: str
    thread_ts: str
    user: str
    text: str
    mention: str | None = None

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ThreadMessage | None:
        # Bot posts (ours included), edits (message_changed), deletions and joins carry a
        # bot_id or another subtype. A message outside a thread, or the thread's root
        # itself, is not a reply.
        if event.get("bot_id") or event.get("subtype") not in _PERSON_SUBTYPES:
            return None
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        channel, user = event.get("channel"), event.get("user")
        if not thread_ts or thread_ts == ts or not channel or not user:
            return None
        raw = str(event.get("text") or "")
        mention = _LEADING_MENTION.match(raw)
        rest = raw[mention.end() :] if mention else raw
        return cls(
            str(channel),
            str(thread_ts),
            str(user),
            typed_text(rest).strip(),
            mention.group("user").upper() if mention else None,
        )


# -- shortcuts, typeahead and shared links -------------------------------------------------

_BARE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>|]+")
_TRAILING = ".,;:!?'\"\u201d\u2019"


def _trim(url: str) -> str:
    """A bare URL without the punctuation that ends the sentence around it."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def text_links(text: str) -> list[str]:
    """Links in Slack message text, in order: the wrapped forms (`<url>`, `<url|label>`; not
    mentions), then bare ones elsewhere."""
    links: list[str] = []
    for match in _MARKUP.finditer(text):
        target = match.group(1).partition("|")[0].strip()
        if target and target[0] not in "@#!" and not any(ch.isspace() for ch in target):
            links.append(decode_entities(target))
    rest = _MARKUP.sub(" ", text)
    links += [_trim(decode_entities(found)) for found in _BARE.findall(rest)]
    return links


def _block_links(value: Any) -> list[str]:
    """Links in blocks: rich_text `link` elements and mrkdwn text, depth first."""
    links: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            if item.get("type") == "link" and isinstance(item.get("url"), str):
                links.append(item["url"])
            elif item.get("type") == "mrkdwn" and isinstance(item.get("text"), str):
                links += text_links(item["text"])
            else:
                stack.extend(reversed(list(item.values())))
    return links


def message_links(message: dict[str, Any]) -> tuple[str, ...]:
    """Every distinct link in a message (text first, then its blocks and attachments)."""
    found = text_links(str(message.get("text") or ""))
    found += _block_links(message.get("blocks") or [])
    found += _block_links(message.get("attachments") or [])
    return tuple(dict.fromkeys(link for link in found if link))


@dataclass(frozen=True, slots=True)
class MessageShortcutRequest:
    """A message shortcut (`message_action`): who, on which message, and its links."""

    user_id: str
    callback_id: str
    trigger_id: str
    channel_id: str | None
    message_ts: str | None
    thread_ts: str | None  # the thread the message is in, if it is a reply
    response_url: str | None
    readable: bool  # False when Slack sent none of the message's content
    links: tuple[str, ...]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> MessageShortcutRequest:
        message = body.get("message") or {}
        readable = any(message.get(key) for key in ("text", "blocks", "attachments", "files"))
        return cls(
            user_id=str((body.get("user") or {}).get("id", "")),
            callback_id=str(body.get("callback_id", "")),
            trigger_id=str(body.get("trigger_id", "")),
            channel_id=(body.get("channel") or {}).get("id"),
            message_ts=message.get("ts") or body.get("message_ts"),
            thread_ts=message.get("thread_ts"),
            response_url=body.get("response_url"),
            readable=readable,
            links=message_links(message),
        )

    @property
    def thread_root(self) -> str | None:
        """Where a reply to this message goes: its thread, or a new thread under it."""
        return self.thread_ts or self.message_ts


@dataclass(frozen=True, slots=True)
class ViewSubmission:
    """A modal submitted (`view_submission`): who, what the modal carried in
    `private_metadata`, and its `state.values` (block id → action id → state)."""

    user_id: str
    metadata: str
    values: dict[str, Any]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ViewSubmission:
        view = body.get("view") or {}
        return cls(
            user_id=str((body.get("user") or {}).get("id", "")),
            metadata=str(view.get("private_metadata") or ""),
            values=(view.get("state") or {}).get("values") or {},
        )


@dataclass(frozen=True, slots=True)
class OptionsRequest:
    """A typeahead asking for options (`block_suggestion`)."""

    user_id: str
    action_id: str
    value: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> OptionsRequest:
        return cls(
            user_id=str((body.get("user") or {}).get("id", "")),
            action_id=str(body.get("action_id", "")),
            value=str(body.get("value") or ""),
        )


@dataclass(frozen=True, slots=True)
class LinkSharedRequest:
    """A `link_shared` event: where to unfurl (a posted message by channel and ts, or a
    draft in the composer by unfurl id and source) and the links on our domains."""

    user_id: str
    channel_id: str | None
    message_ts: str | None
    unfurl_id: str | None
    source: str | None  # "conversations_history" | "composer"
    urls: tuple[str, ...]

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> LinkSharedRequest:
        links = event.get("links") or []
        urls = [str(item.get("url") or "") for item in links if isinstance(item, dict)]
        return cls(
            user_id=str(event.get("user", "")),
            channel_id=event.get("channel") or None,
            message_ts=event.get("message_ts") or None,
            unfurl_id=event.get("unfurl_id") or None,
            source=event.get("source") or None,
            urls=tuple(dict.fromkeys(url for url in urls if url)),
        )
