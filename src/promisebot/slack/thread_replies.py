"""Thread replies: which are a person's review command, strictly (a whole-message `approve`,
`lgtm`, :+1: ..., or `reject <reason>`), so conversation never counts; Slack's mentions,
links and `&lt;` entities are undone here and the service gets a plain verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from promisebot.domain import Verdict

_MENTION = re.compile(r"^\s*<@(?P<user>[A-Z0-9]+)(?:\|[^>]*)?>\s*[:,]?\s*", re.IGNORECASE)
_SKIN_TONE = r"(?::skin-tone-[2-6]:|[\U0001F3FB-\U0001F3FF])"
_THUMBS_UP = rf"(?::\+1:|:thumbsup:|\U0001F44D){_SKIN_TONE}?"
_APPROVAL_WORD = rf"(?:approved?|lgtm|{_THUMBS_UP})[.!]*"
# One or more approval words and nothing else: "LGTM!", "approved :+1:", "👍👍🏽".
_APPROVAL = re.compile(rf"^{_APPROVAL_WORD}(?:\s*{_APPROVAL_WORD})*$", re.IGNORECASE)
_SEPARATOR = r"[\s:,.!\u2013\u2014-]"  # "reject: ...", "reject - ...", "reject — ..."
_REJECT = re.compile(
    rf"^reject(?=$|{_SEPARATOR}){_SEPARATOR}*(?P<reason>.*)$", re.IGNORECASE | re.DOTALL
)
_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?://)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A person's new message inside a thread; None for everything the bot must ignore."""

    channel_id: str
    thread_ts: str
    user: str
    text: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ThreadMessage | None:
        # Bot posts (ours included), edits, deletions and joins all carry a bot_id or a
        # subtype; a reply also sent to the channel is still a person's reply. A message
        # outside a thread, or the thread's root itself, is not a review.
        if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast"):
            return None
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        channel, user = event.get("channel"), event.get("user")
        if not thread_ts or thread_ts == ts or not channel or not user:
            return None
        return cls(str(channel), str(thread_ts), str(user), str(event.get("text") or ""))


@dataclass(frozen=True, slots=True)
class ParsedReply:
    verdict: Verdict
    reason: str = ""  # plain text, Slack's markup and entities undone


def parse_reply(text: str, *, bot_user_id: str | None = None) -> ParsedReply | None:
    """The review a thread reply asks for, or None when it is ordinary conversation.

    A leading mention is ignored when it names the bot (any mention when the bot's id is
    not given), so `@promisebot approve` counts but `@alice approve?` does not.
    """
    body = text.strip()
    mention = _MENTION.match(body)
    if mention:
        if bot_user_id is not None and mention.group("user").upper() != bot_user_id.upper():
            return None
        body = body[mention.end() :]
    body = body.strip()
    if _APPROVAL.match(body):
        return ParsedReply(Verdict.APPROVE)
    rejection = _REJECT.match(body)
    if rejection:
        return ParsedReply(Verdict.REJECT, typed_text(rejection.group("reason")).strip())
    return None


def review_asked(message: ThreadMessage, *, bot_user_id: str | None) -> ParsedReply | None:
    """The review a thread message asks for; never one from the bot itself."""
    if bot_user_id is not None and message.user == bot_user_id:
        return None
    return parse_reply(message.text, bot_user_id=bot_user_id)


def typed_text(text: str) -> str:
    """Slack message text as a person typed it: links, mentions and `&lt;` entities undone."""
    unwrapped = _SLACK_MARKUP.sub(_unwrap, text)
    # Slack escapes exactly these three; `&amp;` last so "&amp;lt;" stays a literal "&lt;".
    return unwrapped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _unwrap(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^", 1)[0])
    if not label or label in (target, _SCHEME.sub("", target)):
        return target.removeprefix("mailto:")
    return f"{label} ({target})"
