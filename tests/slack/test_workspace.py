"""The installed team from auth.test: what Bolt authorizes with, what /healthz reports, and how
a rejected token or an unreachable Slack is told apart."""

from __future__ import annotations

import threading

import httpx
import pytest

from promisebot.sandbox import FakeSlack
from promisebot.settings import load_settings
from promisebot.slack.client import build_web_client
from promisebot.slack.server import HttpServer, WsgiApp
from promisebot.slack.workspace import InstalledTeam, RejectedBotToken, Workspace
from tests.slack.bot import Bot


def _workspace(api_url: str) -> Workspace:
    settings = load_settings(slack_bot_token="xoxb-t", slack_api_url=api_url)
    return Workspace(build_web_client(settings))


def test_healthz_reports_slack_until_the_installed_team_is_known(bot: Bot) -> None:
    workspace = bot.runtime.workspace
    server = HttpServer(
        WsgiApp(bot.runtime.slack_app(), bot.db.ping, workspace.slack_status),
        host="127.0.0.1",
        port=0,
    )
    server.start()
    try:
        before = httpx.get(f"{server.url}/healthz")
        bot.driver.command("help")  # Bolt's authorization asks the Workspace, which asks Slack
        after = httpx.get(f"{server.url}/healthz")
    finally:
        server.stop()
    assert (before.status_code, before.json()) == (200, {"status": "ok", "slack": "unreachable"})
    assert (after.status_code, after.json()) == (200, {"status": "ok", "slack": "ok"})
    assert workspace.team == InstalledTeam(
        team_id="T0001", enterprise_id=None, bot_user_id="UBOTUSER", bot_id=workspace.team.bot_id
    )
    assert len(bot.fake.calls("auth.test")) == 1


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed", "account_inactive"])
def test_a_rejected_token_is_not_retried(fake_slack: FakeSlack, error: str) -> None:
    fake_slack.fail_next("auth.test", error=error, times=5)
    with pytest.raises(RejectedBotToken, match=rf"^Slack refused SLACK_BOT_TOKEN \({error}\)"):
        _workspace(fake_slack.api_url).keep_verifying(threading.Event(), iter([0.0] * 5))
    assert len(fake_slack.failed_calls) == 1


def test_unreachable_slack_is_retried_until_it_answers(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_next("auth.test", status=503, times=2)
    workspace = _workspace(fake_slack.api_url)

    team = workspace.keep_verifying(threading.Event(), iter([0.0] * 5))

    assert team is not None and team.team_id == "T0001"
    assert workspace.slack_status() == "ok"
    attempts = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert [line.split(":")[0] for line in attempts] == [
        "Slack API unreachable (attempt 1",
        "Slack API unreachable (attempt 2",
    ]


def test_nothing_listening_is_unreachable_not_a_traceback() -> None:
    with FakeSlack() as gone:
        api_url = gone.api_url
    workspace = _workspace(api_url)
    assert workspace.keep_verifying(threading.Event(), iter([0.0]), max_attempts=2) is None
    assert workspace.team is None and workspace.slack_status() == "unreachable"
