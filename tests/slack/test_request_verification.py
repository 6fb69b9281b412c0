"""Refused requests over signed HTTP: a stale timestamp and a wrong signature are told apart in
the log, and nothing of the request's body (text, response_url) is logged at INFO or above."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote_plus, urlencode

import pytest

from promisebot.sandbox.payloads import SlackPayloads
from tests.slack.bot import Bot

TEXT = "police liability whistleblower-tip-7731"


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "refused a request" in r.getMessage()]


def _assert_no_body_at_info(
    caplog: pytest.LogCaptureFixture, body: str, payload: dict[str, str]
) -> None:
    for record in caplog.records:
        if record.levelno < logging.INFO:
            continue
        line = record.getMessage() + repr(record.args)
        for fragment in (payload["response_url"], "hooks.slack.com", TEXT, quote_plus(TEXT), body):
            assert fragment not in line, (record.name, line)


FORM = "application/x-www-form-urlencoded"


def test_stale_timestamp_and_wrong_signature_are_logged_apart_without_the_body(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Slack's slash command shape, with a real response_url (hooks.slack.com/commands/…).
    payload = SlackPayloads(team_id="T0001").command_payload(TEXT, user="U_REPORTER")
    payload["response_url"] = "https://hooks.slack.com/commands/T0001/2583280222628/NR6ppC3PF3w"
    body = urlencode(payload)

    stale = bot.driver.signed(timestamp=int(time.time()) - 3600).post(body, FORM)
    stale_logs = _refusals(caplog)
    caplog.clear()
    wrong = bot.driver.signed(signature="v0=" + "0" * 64).post(body, FORM)
    wrong_logs = _refusals(caplog)

    assert (stale.status_code, wrong.status_code) == (401, 401)
    assert len(stale_logs) == 1 and "request timestamp too old (clock drift?)" in stale_logs[0]
    assert len(wrong_logs) == 1
    assert "request signature does not match (wrong SLACK_SIGNING_SECRET?)" in wrong_logs[0]
    assert "signature does not match" not in stale_logs[0]
    _assert_no_body_at_info(caplog, body, payload)
    assert bot.fake.calls("response_url") == []


def test_refused_interactive_payload_keeps_its_body_out_of_the_log(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    payload = SlackPayloads(team_id="T0001").block_action_payload(
        "lookup.share", TEXT, channel="C_NEWSROOM", message={"ts": "1.2", "text": TEXT}
    )
    body = urlencode({"payload": json.dumps(payload)})

    response = bot.driver.signed(signature="v0=bad").post(body, FORM)

    assert response.status_code == 401
    assert len(_refusals(caplog)) == 1
    _assert_no_body_at_info(caplog, body, {"response_url": payload["response_url"]})


def test_a_correctly_signed_request_still_gets_through(bot: Bot) -> None:
    response = bot.driver.command("help")
    assert response.status_code == 200
    assert "/promise list" in response.text
