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


def base_env(tmp_path: Path, fake: FakeSlack) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "PROMISEBOT_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        SLACK_BOT_TOKEN="xoxb-process-token",
        SLACK_SIGNING_SECRET=SECRET,
        PROMISEBOT_SLACK_API_URL=fake.api_url,
    )
    return env


def test_http_replica_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    with FakeSlack() as fake:
        env = base_env(tmp_path, fake)
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
        env = base_env(tmp_path, fake)
        del env["SLACK_BOT_TOKEN"]
        process = promisebot("run", "--http", "--port", str(free_port()), env=env)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "SLACK_BOT_TOKEN is not set" in output
    assert "Traceback" not in output
