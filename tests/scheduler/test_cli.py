"""`promisebot digest` (dry run and posting) and `promisebot scheduler` start-up checks."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from promisebot import cli
from promisebot.db.uow import Database
from promisebot.domain import utcnow
from promisebot.sandbox import FakeSlack
from promisebot.settings import get_settings
from tests.factories import add_promise


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db: Database, fake: FakeSlack) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("PROMISEBOT_SLACK_API_URL", fake.api_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    # `scheduler` configures logging onto this test's (captured, soon closed) stderr.
    root.handlers[:], _ = saved
    root.setLevel(saved[1])
    get_settings.cache_clear()


def test_dry_run_prints_the_digest_and_needs_no_token(
    env: None, db: Database, fake: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    add_promise(db, "roads", now=utcnow(), stalled_days=100, title="Fix the roads")
    add_promise(db, "young", now=utcnow(), stalled_days=20)

    assert cli.main(["digest", "--channel", "C1", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert cli.main(["digest", "--channel", "C1", "--dry-run", "--threshold", "10"]) == 0
    wider = capsys.readouterr().out

    assert lines[0] == "Still stalled: 1 promise"
    assert lines[3] == "1. Fix the roads  [roads · Governor tracker]"
    assert "Still stalled: 2 promises" in wider
    assert fake.calls() == []


def test_posting_needs_a_token(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["digest", "--channel", "C1"]) == 1
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err
    assert cli.main(["scheduler"]) == 1
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


def test_bad_threshold(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["digest", "--channel", "C1", "--dry-run", "--threshold", "0"]) == 1
    assert "--threshold" in capsys.readouterr().err


def test_digest_posts_one_message_without_a_claim(
    env: None,
    db: Database,
    fake: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    add_promise(db, "roads", now=utcnow(), stalled_days=100)

    assert cli.main(["digest", "--channel", "C_OPS"]) == 0
    assert cli.main(["digest", "--channel", "C_OPS"]) == 0  # manual digests are not deduplicated

    assert [m["channel"] for m in fake.posted_messages()] == ["C_OPS", "C_OPS"]
    assert "Posted the digest (1 due) to C_OPS" in capsys.readouterr().out


def test_nothing_due_posts_nothing(
    env: None, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")

    assert cli.main(["digest", "--channel", "C_OPS"]) == 0

    assert "nothing was posted" in capsys.readouterr().out
    assert fake.calls() == []


def scheduler_env(db: Database, fake: FakeSlack) -> dict[str, str]:
    """The environment of a `promisebot scheduler` process against the test database."""
    return {
        **os.environ,
        "DATABASE_URL": db.url,
        "PROMISEBOT_SLACK_API_URL": fake.api_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
    }


def test_scheduler_runs_until_sigterm(db: Database, fake: FakeSlack) -> None:
    env = scheduler_env(db, fake)
    process = subprocess.Popen(
        [sys.executable, "-m", "promisebot", "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Scheduler running")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, err
    assert out.strip() == "Scheduler stopped."
    assert "scheduler started with 0 digest schedule(s)" in err


def test_scheduler_with_a_rejected_token_exits_with_one_sentence(
    db: Database, fake: FakeSlack
) -> None:
    fake.fail_next("auth.test", error="account_inactive")
    env = scheduler_env(db, fake)
    process = subprocess.run(
        [sys.executable, "-m", "promisebot", "scheduler"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 1
    assert "Traceback" not in process.stderr
    assert (
        process.stderr.strip()
        .splitlines()[-1]
        .startswith("promisebot: Slack refused SLACK_BOT_TOKEN (account_inactive):")
    )


def test_digest_with_a_rejected_token_says_so_and_posts_nothing(
    env: None,
    db: Database,
    fake: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    add_promise(db, "roads", now=utcnow(), stalled_days=100)
    fake.fail_next("auth.test", error="invalid_auth")

    assert cli.main(["digest", "--channel", "C_OPS"]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("promisebot: Slack refused SLACK_BOT_TOKEN (invalid_auth):")
    assert len(err.strip().splitlines()) == 1
    assert fake.posted_messages() == []


def test_digest_when_slack_is_unreachable_gives_up_with_one_sentence(
    env: None,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeSlack() as gone:
        api_url = gone.api_url  # a port that nothing listens on once the fake has stopped
    monkeypatch.setenv("PROMISEBOT_SLACK_API_URL", api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setattr("promisebot.slack.workspace.backoff", lambda: iter([0.0] * 10))
    get_settings.cache_clear()
    add_promise(db, "roads", now=utcnow(), stalled_days=100)

    assert cli.main(["digest", "--channel", "C_OPS"]) == 1

    assert capsys.readouterr().err == (
        f"promisebot: Cannot reach the Slack API at {api_url}; nothing was posted.\n"
    )
    attempts = [r.getMessage() for r in caplog.records if "Slack API unreachable" in r.getMessage()]
    assert len(attempts) == 4
    assert attempts[0].startswith("Slack API unreachable (attempt 1: URLError")
    assert attempts[-1].endswith("giving up")
