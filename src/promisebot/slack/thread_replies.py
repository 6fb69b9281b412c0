"""Thread replies: which are a person's review command, strictly (a whole-message `approve`,
`lgtm`, :+1: ..., or `reject <reason>`), so conversation never counts. The text arrives as
typed (`slack.requests.ThreadMessage`); the service gets a plain verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass

from promisebot.domain import Verdict
from promisebot.slack.requests import ThreadMessage

_SKIN_TONE = r"(?::skin-tone-[2-6]:|[\U0001F3FB-\U0001F3FF])"
_THUMBS_UP = rf"(?::\+1:|:thumbsup:|\U0001F44D){_SKIN_TONE}?"
_APPROVAL_WORD = rf"(?:approved?|lgtm|{_THUMBS_UP})[.!]*"
# One or more approval words and nothing else: "LGTM!", "approved :+1:", "👍👍🏽".
_APPROVAL = re.compile(rf"^{_APPROVAL_WORD}(?:\s*{_APPROVAL_WORD})*$", re.IGNORECASE)
_SEPARATOR = r"[\s:,.!\u2013\u2014-]"  # "reject: ...", "reject - ...", "reject — ..."
_REJECT = re.compile(
    rf"^reject(?=$|{_SEPARATOR}){_SEPARATOR}*(?P<reason>.*)$", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True, slots=True)
class ParsedReply:
    verdict: Verdict
    reason: str = ""  # plain text, Slack's markup and entities undone


def parse_reply(text: str) -> ParsedReply | None:
    """The review a reply's text (as typed, without a leading mention of the bot) asks
    for, or None when it is ordinary conversation."""
    body = text.strip()
    if _APPROVAL.match(body):
        return ParsedReply(Verdict.APPROVE)
    rejection = _REJECT.match(body)
    if rejection:
        return ParsedReply(Verdict.REJECT, rejection.group("reason").strip())
    return None


def review_asked(message: ThreadMessage, *, bot_user_id: str | None) -> ParsedReply | None:
    """The review a thread message asks for; never one from the bot itself. A leading
    mention counts when it names the bot (any mention when the bot's id is not known), so
    `@promisebot approve` counts but `@alice approve?` does not."""
    if bot_user_id is not None and message.user == bot_user_id:
        return None
    if message.mention and bot_user_id and message.mention != bot_user_id.upper():
        return None
    return parse_reply(message.text)
