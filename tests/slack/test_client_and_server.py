"""The Web API client's retries, the health check, and what reaches the logs."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from promisebot import logs
from promisebot.sandbox import FakeSlack
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Message
from promisebot.slack.client import build_web_client
from promisebot.slack.messenger import Messenger
from promisebot.slack.server import HttpServer, WsgiApp
from tests.slack.bot import Bot


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_failures_are_retried_and_post_once(fake_slack: FakeSlack, status: int) -> None:
    settings = load_settings(slack_bot_token="xoxb-t", slack_api_url=fake_slack.api_url)
    fake_slack.fail_next("chat.postMessage", status=status, retry_after=0)

    Messenger(build_web_client(settings)).post("C1", Message("hello"))

    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert len(fake_slack.failed_calls) == 1


def test_healthz_is_503_when_the_database_is_unreachable(bot: Bot) -> None:
    server = HttpServer(WsgiApp(bot.runtime.slack_app(), lambda: False), host="127.0.0.1", port=0)
    server.start()
    try:
        response = httpx.get(f"{server.url}/healthz")
    finally:
        server.stop()
    assert response.status_code == 503


def test_json_logs_carry_the_request_id_and_never_a_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("INFO", "json")
        token = logs.request_id.set("Ev123")
        logging.getLogger("promisebot.test").info("posting with xoxb-1234-secret-token")
        logs.request_id.reset(token)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["request_id"] == "Ev123"
    assert "secret" not in line["message"] and "xoxb-***" in line["message"]
