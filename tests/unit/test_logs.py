"""The log redactor: tokens, response URLs and echoed request bodies never reach a log line."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

from promisebot import logs

HOOK = "https://hooks.slack.com/commands/T70FCJL9Z/2583280222628/NR6ppC3PF3wJ9WBc6ws2BsVP"
ACTION_HOOK = "https://hooks.slack.com/actions/T70FCJL9Z/2583280222629/aBcDeFgHiJkLmNoP"
SECRETS = ("NR6ppC3PF3wJ9WBc6ws2BsVP", "aBcDeFgHiJkLmNoP", "2583280222628", "2583280222629")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("token xoxb-1234-5678-NR6ppC3PF3wJ9WBc6ws2BsVP used", "xoxb-***"),
        ("app token xapp-1-A0001-NR6ppC3PF3wJ9WBc6ws2BsVP", "xapp-***"),
        (f"posting to {HOOK} now", "https://hooks.slack.com/***"),
        (f"POST {ACTION_HOOK}: 404", "https://hooks.slack.com/***"),
        (json.dumps({"response_url": HOOK, "text": "hi"}), '"response_url": "***"'),
        (json.dumps({"response_url": HOOK}, separators=(",", ":")), '"response_url":"***"'),
        ('{"response_url":"' + HOOK.replace("/", "\\/") + '"}', '"response_url":"***"'),
        (str({"response_url": ACTION_HOOK, "type": "block_actions"}), "'response_url': '***'"),
        (urlencode({"command": "/promise", "response_url": HOOK}), "response_url=***"),
        (urlencode({"payload": json.dumps({"response_url": ACTION_HOOK})}), "response_url"),
        (
            "response_url=http://127.0.0.1:8999/response/7/abcSECRETabc&text=x",
            "response_url=***&text=x",
        ),
    ],
)
def test_redact_removes_tokens_and_response_urls(text: str, kept: str) -> None:
    cleaned = logs.redact(text)
    assert kept in cleaned
    for secret in (*SECRETS, "abcSECRETabc"):
        assert secret not in cleaned


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "posted to C123 at 1700000000.000100 (https://example.slack.com/archives/C123)"
    assert logs.redact(text) == text


def test_bolt_messages_that_echo_a_body_end_before_it() -> None:
    body = f"token=x&text=my+secret+words&response_url={HOOK}"
    message = f"Invalid request signature detected (signature: v0=1, timestamp: 1, body: {body})"
    assert logs.redact(message) == "Invalid request signature detected (request body not logged)"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_logger_is_redacted_through_the_configured_handler(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("DEBUG", fmt)
        logging.getLogger("slack_bolt.promisebot_test").info(
            "Invalid request signature detected (body: %s)",
            f"text=secret+words&response_url={HOOK}",
        )
        logging.getLogger("slack_sdk.promisebot_test").warning("Failed to post to %s", HOOK)
        try:
            raise RuntimeError(f"refused {ACTION_HOOK}")
        except RuntimeError:
            logging.getLogger("promisebot.test").exception("respond failed")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "hooks.slack.com/***" in err
    assert "request body not logged" in err
    for secret in (*SECRETS, "secret+words"):
        assert secret not in err
