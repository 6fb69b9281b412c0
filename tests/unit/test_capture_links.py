"""Links found in Slack messages (wrapped, labelled, bare, rich_text) and the page key that
matches a promise's public page however its link is written."""

from __future__ import annotations

import pytest

from promisebot.domain import page_key
from promisebot.slack.requests import MessageShortcutRequest, message_links, text_links


def test_wrapped_labelled_and_bare_links_in_order_without_mentions() -> None:
    text = (
        "<@U123> in <#C123|desk>, <!here>: <https://a.example/x?a=1&amp;b=2|the story> "
        "and https://b.example/y). Also <mailto:desk@example.com|desk>."
    )

    assert text_links(text) == [
        "https://a.example/x?a=1&b=2",
        "mailto:desk@example.com",
        "https://b.example/y",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://a.example/p.", ["https://a.example/p"]),
        ("(https://a.example/wiki/Foo_(bar))", ["https://a.example/wiki/Foo_(bar)"]),
        ("“https://a.example/q”", ["https://a.example/q"]),
        ("no links at all", []),
        ("<https://a.example/only>", ["https://a.example/only"]),
    ],
)
def test_bare_links_lose_the_punctuation_around_them(text: str, expected: list[str]) -> None:
    assert text_links(text) == expected


def test_links_from_text_blocks_and_attachments_are_deduplicated() -> None:
    message = {
        "text": "<https://a.example/1>",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "link", "url": "https://a.example/1"},
                            {"type": "link", "url": "https://a.example/2", "text": "two"},
                        ],
                    }
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": "<https://a.example/3|3>"}},
        ],
        "attachments": [{"text": "x", "blocks": [{"type": "link", "url": "https://a.example/4"}]}],
    }

    assert message_links(message) == (
        "https://a.example/1",
        "https://a.example/2",
        "https://a.example/3",
        "https://a.example/4",
    )


def test_a_message_slack_sent_without_content_is_unreadable() -> None:
    body = {
        "type": "message_action",
        "callback_id": "capture.add_evidence",
        "trigger_id": "1.2.x",
        "user": {"id": "U1"},
        "channel": {"id": "C1"},
        "message_ts": "1700000000.000100",
        "message": {"type": "message", "ts": "1700000000.000100", "user": "U2"},
        "response_url": "https://hooks.slack.com/app/T1/1/x",
    }

    request = MessageShortcutRequest.from_body(body)

    assert not request.readable
    assert request.links == ()
    assert request.thread_root == "1700000000.000100"


@pytest.mark.parametrize(
    "written",
    [
        "https://www.example.org/promise/police/",
        "http://example.org/promise/police",
        "https://EXAMPLE.org:443/promise/police?utm_source=x#top",
        " https://www.Example.org/promise/police// ",
    ],
)
def test_page_key_ignores_how_the_link_is_written(written: str) -> None:
    assert page_key(written) == "example.org/promise/police"


@pytest.mark.parametrize("url", ["", "mailto:a@example.org", "ftp://example.org/x", "not a url"])
def test_page_key_is_empty_for_anything_but_web_links(url: str) -> None:
    assert page_key(url) == ""


def test_page_key_keeps_the_path_distinct() -> None:
    assert page_key("https://example.org/promise/a") != page_key("https://example.org/promise/b")
