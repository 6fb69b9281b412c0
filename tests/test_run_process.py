"""`promisebot run` as an operator starts it: a real process in HTTP mode with its scheduler,
health check, a signed command, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from promisebot.sandbox import FakeSlack, SlackDriver

SECRET = "process-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def promisebot(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "promisebot", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def base_env(tmp_path: Path, slack_api_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "PROMISEBOT_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        SLACK_BOT_TOKEN="xoxb-process-token",
        SLACK_SIGNING_SECRET=SECRET,
        PROMISEBOT_SLACK_API_URL=slack_api_url,
    )
    return env


def test_http_replica_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    with FakeSlack() as fake:
        env = base_env(tmp_path, fake.api_url)
        process = promisebot("run", "--http", "--port", str(port), env=env)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "replica did not become healthy"
                time.sleep(0.2)
            with SlackDriver(f"http://127.0.0.1:{port}/slack/events", SECRET, fake) as driver:
                response = driver.command("help")
                assert response.status_code == 200
                assert "/promise list" in response.text
                assert driver.signed(signature="v0=bad").command("help").status_code == 401
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "xoxb-process-token" not in output
    assert "shutting down" in output


def test_missing_token_is_one_clear_sentence(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        env = base_env(tmp_path, fake.api_url)
        del env["SLACK_BOT_TOKEN"]
        process = promisebot("run", "--http", "--port", str(free_port()), env=env)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "SLACK_BOT_TOKEN is not set" in output
    assert "Traceback" not in output


def _health(port: int) -> dict[str, str] | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/healthz")
    except httpx.TransportError:
        return None
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def _wait_for_health(process: subprocess.Popen[str], port: int, slack: str) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while True:
        health = _health(port)
        if health is not None and health.get("slack") == slack:
            return health
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, f"/healthz never said slack {slack}: {health}"
        time.sleep(0.2)


def test_replica_serves_while_slack_is_unreachable_and_notices_when_it_comes_back(
    tmp_path: Path,
) -> None:
    port, slack_port = free_port(), free_port()
    fake = FakeSlack(port=slack_port)  # not listening yet: Slack is down at start-up
    env = base_env(tmp_path, f"http://127.0.0.1:{slack_port}/api/")
    process = promisebot("run", "--http", "--port", str(port), env=env)
    try:
        assert _wait_for_health(process, port, "unreachable") == {
            "status": "ok",
            "slack": "unreachable",
        }
        with fake:
            assert _wait_for_health(process, port, "ok") == {"status": "ok", "slack": "ok"}
            with SlackDriver(f"http://127.0.0.1:{port}/slack/events", SECRET, fake) as driver:
                response = driver.command("help")
                assert response.status_code == 200
                assert "/promise list" in response.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert "Slack API unreachable (attempt 1: URLError" in output
    assert "Slack: installed in team T0001 as bot user UBOTUSER" in output


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed", "account_inactive"])
def test_rejected_bot_token_exits_with_one_sentence_naming_it(tmp_path: Path, error: str) -> None:
    with FakeSlack() as fake:
        fake.fail_next("auth.test", error=error)
        process = subprocess.Popen(
            [sys.executable, "-m", "promisebot", "run", "--http", "--port", str(free_port())],
            env=base_env(tmp_path, fake.api_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert out == ""
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "SLACK_BOT_TOKEN" in line] == [
        f"promisebot: Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token "
        "(xoxb-…) from your Slack app's OAuth & Permissions page, and reinstall the app if it "
        "was removed from the workspace."
    ]
    assert err.strip().splitlines()[-1].startswith("promisebot: Slack refused SLACK_BOT_TOKEN")
    assert "xoxb-process-token" not in err
