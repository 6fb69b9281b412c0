"""Thread replies: which ones are review commands, and everything else left alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from promisebot.domain import Verdict
from promisebot.slack.requests import ThreadMessage, typed_text
from promisebot.slack.thread_replies import ParsedReply, review_asked

APPROVE = ParsedReply(Verdict.APPROVE)


def parse_reply(text: str, *, bot_user_id: str | None = None) -> ParsedReply | None:
    """What a reply with this raw Slack text asks for, read at the edge like a real one."""
    event = {"type": "message", "user": "UALICE", "text": text, "ts": "2.0", "thread_ts": "1.0"}
    message = ThreadMessage.from_event({**event, "channel": "CREVIEW"})
    assert message is not None
    return review_asked(message, bot_user_id=bot_user_id)


@pytest.mark.parametrize(
    "text",
    [
        "approve",
        "approved",
        "Approved.",
        "lgtm",
        "LGTM!",
        "  lgtm!!  ",
        ":+1:",
        ":thumbsup:",
        "\U0001f44d",
        "\U0001f44d\U0001f3fd",
        ":+1::skin-tone-2:",
        ":thumbsup::skin-tone-6:",
        ":+1: :+1:",
        "LGTM :+1:",
        "<@UBOT> approve",
        "<@UBOT>: lgtm",
        "<@UBOT|promisebot> approved!",
    ],
)
def test_approvals(text: str) -> None:
    assert parse_reply(text) == APPROVE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "approve?",
        "approved?",
        "approve once the vote happens",
        "I approve of this",
        "not lgtm",
        "lgtm but check the date",
        ":-1:",
        ":+1:?",
        ":smile:",
        "rejected by the senate last week",
        "the rejection came Friday",
        "<@UBOT>",
        "https://news.example/approve",
    ],
)
def test_ordinary_conversation_is_not_a_review(text: str) -> None:
    assert parse_reply(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("reject the bill has not passed", "the bill has not passed"),
        ("Reject: no vote yet", "no vote yet"),
        ("REJECT - wrong promise", "wrong promise"),
        ("reject \u2014 see thread", "see thread"),
        ("reject\nline one\nline two", "line one\nline two"),
        ("<@UBOT> reject source is an op-ed", "source is an op-ed"),
        ("reject", ""),
        ("reject.", ""),
        ("reject   ", ""),
    ],
)
def test_rejections_keep_their_reason(text: str, reason: str) -> None:
    assert parse_reply(text) == ParsedReply(Verdict.REJECT, reason)


def test_a_mention_of_someone_else_is_not_addressed_to_the_bot() -> None:
    assert parse_reply("<@UALICE> approve", bot_user_id="UBOT") is None
    assert parse_reply("<@UBOT> approve", bot_user_id="UBOT") == APPROVE
    assert parse_reply("<@ubot> approve", bot_user_id="UBOT") == APPROVE


def test_the_bots_own_messages_are_never_reviews() -> None:
    mine = ThreadMessage("CREVIEW", "100.1", "UBOT", "approve")
    assert review_asked(mine, bot_user_id="UBOT") is None
    alice = replace(mine, user="UALICE")
    assert review_asked(alice, bot_user_id="UBOT") == APPROVE
    assert review_asked(replace(alice, text="LGTM!", mention="UBOT"), bot_user_id="UBOT") == APPROVE
    chat = replace(alice, text="I think we should wait for the vote")
    assert review_asked(chat, bot_user_id="UBOT") is None


def test_reasons_come_back_as_plain_text() -> None:
    parsed = parse_reply(
        "reject see <https://news.example/a?b=1&amp;c=2|the story> &amp; "
        "<https://news.example/x|news.example/x>, ask <@UALICE> in <#CDESK|desk> &lt;3"
    )
    assert parsed is not None
    assert parsed.reason == (
        "see the story (https://news.example/a?b=1&c=2) & https://news.example/x, "
        "ask @UALICE in #desk <3"
    )


def test_typed_text_leaves_a_literal_entity_alone() -> None:
    assert typed_text("&amp;lt; is how you write <") == "&lt; is how you write <"
    assert typed_text("<!here> <mailto:a@b.example|a@b.example>") == "@here a@b.example"
