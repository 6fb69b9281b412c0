"""Runtime settings: the only reader of the environment (and of a `.env` file).

Every variable the README lists lives here with its default; a wrong value stops start-up
with one sentence naming the variable (see `load_settings`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from promisebot.db.urls import normalize_url
from promisebot.domain import Rating, UnknownRating, parse_rating

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class SettingsError(Exception):
    """A setting has a wrong value; the message is one sentence naming the variable."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    database_url: str = Field("sqlite:///promisebot.db", validation_alias=_env("DATABASE_URL"))
    slack_api_url: str = Field(
        DEFAULT_SLACK_API_URL, validation_alias=_env("PROMISEBOT_SLACK_API_URL")
    )
    editors: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias=_env("PROMISEBOT_EDITORS")
    )
    editor_group: str | None = Field(None, validation_alias=_env("PROMISEBOT_EDITOR_GROUP"))
    senior_editors: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias=_env("PROMISEBOT_SENIOR_EDITORS")
    )
    senior_group: str | None = Field(None, validation_alias=_env("PROMISEBOT_SENIOR_GROUP"))
    # Declared after the two above: its validator checks that they name a senior editor.
    senior_required_for: Annotated[frozenset[Rating], NoDecode] = Field(
        frozenset(), validation_alias=_env("PROMISEBOT_SENIOR_REQUIRED_FOR")
    )
    review_channel: str | None = Field(None, validation_alias=_env("PROMISEBOT_REVIEW_CHANNEL"))
    announce_channel: str | None = Field(None, validation_alias=_env("PROMISEBOT_ANNOUNCE_CHANNEL"))
    approvals_required: int = Field(
        2, ge=1, le=20, validation_alias=_env("PROMISEBOT_APPROVALS_REQUIRED")
    )
    timezone: str = Field("America/New_York", validation_alias=_env("PROMISEBOT_TIMEZONE"))
    stalled_after_days: int = Field(
        30, ge=1, le=3650, validation_alias=_env("PROMISEBOT_STALLED_AFTER_DAYS")
    )
    proposal_ttl_days: int = Field(
        14, ge=1, le=365, validation_alias=_env("PROMISEBOT_PROPOSAL_TTL_DAYS")
    )
    port: int = Field(3000, ge=1, le=65535, validation_alias=_env("PORT"))
    # Tuning and operations settings (all optional).
    digest_grace_hours: float = Field(
        6, ge=0, le=168, validation_alias=_env("PROMISEBOT_DIGEST_GRACE_HOURS")
    )
    digest_post_all_clear: bool = Field(
        False, validation_alias=_env("PROMISEBOT_DIGEST_POST_ALL_CLEAR")
    )
    editor_cache_seconds: int = Field(
        300, ge=0, le=86400, validation_alias=_env("PROMISEBOT_EDITOR_CACHE_SECONDS")
    )
    allow_private_fetch: bool = Field(
        False, validation_alias=_env("PROMISEBOT_ALLOW_PRIVATE_FETCH")
    )
    fetch_link_titles: bool = Field(True, validation_alias=_env("PROMISEBOT_FETCH_LINK_TITLES"))
    log_format: str = Field("text", validation_alias=_env("PROMISEBOT_LOG_FORMAT"))
    log_level: str = Field("INFO", validation_alias=_env("PROMISEBOT_LOG_LEVEL"))
    http_threads: int = Field(16, ge=1, le=256, validation_alias=_env("PROMISEBOT_HTTP_THREADS"))
    notify_interval_seconds: float = Field(
        10, ge=0.5, le=3600, validation_alias=_env("PROMISEBOT_NOTIFY_INTERVAL_SECONDS")
    )

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "editor_group",
        "senior_group",
        "review_channel",
        "announce_channel",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("editors", "senior_editors", mode="before")
    @classmethod
    def _split_editors(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("senior_required_for", mode="before")
    @classmethod
    def _rating_names(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return frozenset(parse_rating(part) for part in value.split(",") if part.strip())
        except UnknownRating as error:
            raise ValueError(str(error)) from None

    @field_validator("senior_required_for")
    @classmethod
    def _someone_senior(cls, value: frozenset[Rating], info: ValidationInfo) -> frozenset[Rating]:
        if value and not info.data.get("senior_editors") and not info.data.get("senior_group"):
            raise ValueError(
                "it needs a senior editor, so set PROMISEBOT_SENIOR_EDITORS or "
                "PROMISEBOT_SENIOR_GROUP too"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known IANA time zone") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _parseable_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "it is not a database URL (expected e.g. sqlite:///promisebot.db)"
            ) from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError("must be 'text' or 'json'")
        return value.lower()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the psycopg 3 driver made explicit for plain postgresql:// URLs."""
        return normalize_url(self.database_url)


_FIELD_TO_ENV = {
    name: str(field.validation_alias.choices[0])  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}


def describe_error(error: ValidationError) -> str:
    """One sentence naming the variable, e.g. `PROMISEBOT_APPROVALS_REQUIRED must be ...`."""
    first = error.errors()[0]
    location = str(first["loc"][0]) if first["loc"] else ""
    variable = _FIELD_TO_ENV.get(location, location.upper())
    message = first["msg"].removeprefix("Value error, ")
    value = first.get("input")
    secret = variable.startswith("SLACK_") or variable == "DATABASE_URL"
    shown = "" if secret else f" (got {value!r})"
    return f"Setting {variable} is invalid{shown}: {message}."


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_error(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
