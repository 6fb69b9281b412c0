"""Sends what `SlackPayloads` builds to the bot the way Slack does (form-encoded slash
commands and interactions, JSON events), signed with the v0 scheme."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypedDict, Unpack
from urllib.parse import urlencode

import httpx

from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.sandbox.payloads import VERIFICATION_TOKEN, SlackPayloads
from promisebot.sandbox.state_values import state_values

__all__ = ["SignOptions", "SlackDriver", "sign", "state_values"]

P = ParamSpec("P")
Body = tuple[str, str]  # (body, content type)


class SignOptions(TypedDict, total=False):
    """How to sign (or mis-sign) one request, and Slack's retry headers."""

    timestamp: int  # default now; an old one tests replay protection
    signature: str  # e.g. "v0=bad"
    unsigned: bool  # send no signature headers at all
    retry_num: int
    retry_reason: str


def sign(signing_secret: str, timestamp: int, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def _form(payload: dict[str, Any]) -> Body:
    return urlencode(payload), "application/x-www-form-urlencoded"


def _interaction(payload: dict[str, Any]) -> Body:
    return _form({"payload": json.dumps(payload)})


def _json(payload: dict[str, Any]) -> Body:
    return json.dumps(payload), "application/json"


class _Sends(Generic[P]):
    """A driver method that builds a payload with `build` and posts it encoded by
    `encode`, taking exactly the builder's arguments."""

    def __init__(
        self,
        build: Callable[Concatenate[SlackPayloads, P], dict[str, Any]],
        encode: Callable[[dict[str, Any]], Body],
    ) -> None:
        self.build = build
        self.encode = encode

    def __get__(
        self, driver: SlackDriver, owner: type | None = None
    ) -> Callable[P, httpx.Response]:
        def send(*args: P.args, **kwargs: P.kwargs) -> httpx.Response:
            return driver.post(*self.encode(self.build(driver, *args, **kwargs)))

        send.__doc__ = self.build.__doc__
        return send


class SlackDriver(SlackPayloads):
    """Plays Slack towards the bot at `events_url` (e.g. `http://127.0.0.1:3000/slack/events`).

    `command`, `block_action`, `view_submission`, `message_shortcut`, `global_shortcut`,
    `block_suggestion` and `event` take the arguments of the `*_payload` / `event_envelope`
    builders and return the bot's `httpx.Response`; `signed(...)` gives a driver that signs
    differently or sends Slack's retry headers. Close it (or use `with`).
    """

    command = _Sends(SlackPayloads.command_payload, _form)
    block_action = _Sends(SlackPayloads.block_action_payload, _interaction)
    view_submission = _Sends(SlackPayloads.view_submission_payload, _interaction)
    message_shortcut = _Sends(SlackPayloads.message_shortcut_payload, _interaction)
    global_shortcut = _Sends(SlackPayloads.global_shortcut_payload, _interaction)
    block_suggestion = _Sends(SlackPayloads.block_suggestion_payload, _interaction)
    event = _Sends(SlackPayloads.event_envelope, _json)

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        fake: FakeSlack | None = None,
        team_id: str = "T0001",
        api_app_id: str = "A0001",
    ) -> None:
        super().__init__(fake, team_id, api_app_id)
        self.events_url = events_url
        self._signing_secret = signing_secret
        self._options = SignOptions()
        self._http = httpx.Client(timeout=10.0)

    def signed(self, **options: Unpack[SignOptions]) -> SlackDriver:
        """This driver (same connection) sending with `options`, e.g. `signature="v0=bad"`
        or `retry_num=1`."""
        driver = copy.copy(self)
        driver._options = options
        return driver

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def post(self, body: str, content_type: str) -> httpx.Response:
        """POST a raw body to the bot with Slack's headers."""
        options = self._options
        timestamp = options.get("timestamp", int(time.time()))
        headers = {"Content-Type": content_type}
        if not options.get("unsigned", False):
            headers["X-Slack-Request-Timestamp"] = str(timestamp)
            headers["X-Slack-Signature"] = options.get(
                "signature", sign(self._signing_secret, timestamp, body)
            )
        if "retry_num" in options:
            headers["X-Slack-Retry-Num"] = str(options["retry_num"])
            headers["X-Slack-Retry-Reason"] = options.get("retry_reason", "http_timeout")
        return self._http.post(self.events_url, content=body.encode(), headers=headers)

    def url_verification(self, challenge: str = "fake-challenge") -> httpx.Response:
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post(*_json(body))
