"""Logging set-up: text or JSON lines, and a filter that keeps Slack tokens, response URLs
and request bodies out of every log line (ours, Bolt's and slack_sdk's)."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

_TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")
# A response URL (hooks.slack.com/commands|actions/…) or incoming webhook lets whoever holds
# it post as the app, like a token. Also found JSON-escaped (`\/`) and form-encoded (`%2F`).
_URL_CHARS = r"(?:\\/|%(?!22|2C|5D|7D)|[^\s\"'&<>,)}\]\\%])"
_HOOKS_URL = re.compile(rf"hooks\.slack\.com(?:\\?/|%2F){_URL_CHARS}*", re.IGNORECASE)
_RESPONSE_URL = re.compile(
    rf"(response_url(?:\\?[\"']|%22)?[\s+]*(?:[:=]|%3A|%3D)[\s+]*(?:\\?[\"']|%22)?){_URL_CHARS}+",
    re.IGNORECASE,
)
# Bolt echoes request bodies (the user's text, a live response_url) in a few messages.
_BODY_ECHO = re.compile(
    r"(Invalid request signature detected|without providing a response for the request"
    r"|Unhandled request)\b.*",
    re.DOTALL,
)

# What the current thread is handling (a Slack event id, a trigger id…), for every log line.
request_id: ContextVar[str] = ContextVar("request_id", default="")


def redact(text: str) -> str:
    """`text` without tokens, response URLs, webhook URLs and echoed request bodies."""
    text = _TOKEN.sub(lambda match: f"{match.group(1)}-***", text)
    text = _RESPONSE_URL.sub(lambda match: f"{match.group(1)}***", text)
    text = _HOOKS_URL.sub("hooks.slack.com/***", text)
    return _BODY_ECHO.sub(lambda match: f"{match.group(1)} (request body not logged)", text)


class RedactingFilter(logging.Filter):
    """Rewrites any record whose rendered message holds a secret or a body; adds the request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "replica"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            TextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # slack_sdk logs request bodies at DEBUG; keep it quiet unless asked for.
    logging.getLogger("slack_sdk").setLevel(max(root.level, logging.INFO))
    # httpx logs every request URL (query strings included) at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
