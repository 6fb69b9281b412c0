"""Settings: defaults, parsing, and one clear sentence naming the variable for a bad value."""

from __future__ import annotations

import pytest

from promisebot.cli import main
from promisebot.domain import Rating
from promisebot.settings import Settings, SettingsError, load_settings

ENV_NAMES = [
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "DATABASE_URL",
    "PROMISEBOT_SLACK_API_URL",
    "PROMISEBOT_EDITORS",
    "PROMISEBOT_EDITOR_GROUP",
    "PROMISEBOT_REVIEW_CHANNEL",
    "PROMISEBOT_ANNOUNCE_CHANNEL",
    "PROMISEBOT_APPROVALS_REQUIRED",
    "PROMISEBOT_TIMEZONE",
    "PROMISEBOT_STALLED_AFTER_DAYS",
    "PROMISEBOT_PROPOSAL_TTL_DAYS",
    "PROMISEBOT_SENIOR_EDITORS",
    "PROMISEBOT_SENIOR_GROUP",
    "PROMISEBOT_SENIOR_REQUIRED_FOR",
    "PORT",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_match_the_design() -> None:
    settings = Settings()
    assert settings.database_url == "sqlite:///promisebot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.approvals_required == 2
    assert settings.timezone == "America/New_York"
    assert settings.stalled_after_days == 30
    assert settings.proposal_ttl_days == 14
    assert settings.port == 3000
    assert settings.editors == frozenset()
    assert settings.slack_bot_token is None
    assert settings.senior_required_for == frozenset()  # no senior rule: today's behaviour
    assert settings.senior_editors == frozenset() and settings.senior_group is None


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMISEBOT_EDITORS", "U1, U2,,U3")
    monkeypatch.setenv("PROMISEBOT_APPROVALS_REQUIRED", "3")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    monkeypatch.setenv("SLACK_APP_TOKEN", "")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    settings = Settings()
    assert settings.editors == {"U1", "U2", "U3"}
    assert settings.approvals_required == 3
    assert settings.slack_app_token is None  # empty means unset
    assert settings.sqlalchemy_url.startswith("postgresql+psycopg://")
    assert "xoxb-secret-value" not in repr(settings)
    assert "xoxb-secret-value" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PROMISEBOT_APPROVALS_REQUIRED", "0", "PROMISEBOT_APPROVALS_REQUIRED"),
        ("PROMISEBOT_APPROVALS_REQUIRED", "two", "PROMISEBOT_APPROVALS_REQUIRED"),
        ("PROMISEBOT_TIMEZONE", "Mars/Olympus_Mons", "not a known IANA time zone"),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("DATABASE_URL", "mysql://root@localhost/x", "only sqlite"),
        ("PORT", "70000", "PORT"),
        ("PROMISEBOT_SLACK_API_URL", "ftp://x", "PROMISEBOT_SLACK_API_URL"),
    ],
)
def test_a_wrong_value_is_one_sentence_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert variable in message and expected in message
    assert "\n" not in message


def test_cli_prints_the_sentence_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from promisebot.settings import get_settings

    monkeypatch.setenv("PROMISEBOT_TIMEZONE", "Nowhere/Special")
    get_settings.cache_clear()
    try:
        assert main(["db", "upgrade"]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "PROMISEBOT_TIMEZONE" in err
    assert "Traceback" not in err


def test_secrets_are_not_echoed_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:hunter2@/:bad")
    monkeypatch.setenv("PROMISEBOT_APPROVALS_REQUIRED", "0")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "hunter2" not in str(raised.value)


def test_the_senior_rule_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMISEBOT_SENIOR_EDITORS", "U9, U8")
    monkeypatch.setenv("PROMISEBOT_SENIOR_GROUP", "")
    monkeypatch.setenv("PROMISEBOT_SENIOR_REQUIRED_FOR", "Promise Kept, broken")
    settings = Settings()
    assert settings.senior_editors == {"U9", "U8"}
    assert settings.senior_group is None
    assert settings.senior_required_for == {Rating.PROMISE_KEPT, Rating.PROMISE_BROKEN}


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {
                "PROMISEBOT_SENIOR_REQUIRED_FOR": "Promise Kept, Mostly Kept",
                "PROMISEBOT_SENIOR_EDITORS": "U9",
            },
            "'Mostly Kept' is not one of: Not Yet Rated,",
        ),
        (
            {"PROMISEBOT_SENIOR_REQUIRED_FOR": "Promise Broken"},
            "set PROMISEBOT_SENIOR_EDITORS or PROMISEBOT_SENIOR_GROUP too",
        ),
    ],
)
def test_a_senior_rule_that_cannot_work_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    expected: str,
) -> None:
    from promisebot.settings import get_settings

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("Setting PROMISEBOT_SENIOR_REQUIRED_FOR is invalid")
    assert expected in message and "\n" not in message

    get_settings.cache_clear()
    try:
        assert main(["run", "--http", "--port", "0"]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "PROMISEBOT_SENIOR_REQUIRED_FOR" in err and "Traceback" not in err


def test_a_senior_group_alone_is_enough_for_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMISEBOT_SENIOR_GROUP", "S123")
    monkeypatch.setenv("PROMISEBOT_SENIOR_REQUIRED_FOR", "kept")
    assert Settings().senior_required_for == {Rating.PROMISE_KEPT}
