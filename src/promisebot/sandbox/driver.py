"""Sends requests to the bot the way Slack does (slash commands, button presses, modal
submissions, events), signed with the v0 scheme; builds the same payloads for Socket Mode."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from types import TracebackType
from typing import Any, TypedDict, Unpack
from urllib.parse import urlencode

import httpx

from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.sandbox.payloads import VERIFICATION_TOKEN, SlackPayloads
from promisebot.sandbox.state_values import state_values

__all__ = ["SignOptions", "SlackDriver", "sign", "state_values"]

FORM = "application/x-www-form-urlencoded"


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


class SlackDriver(SlackPayloads):
    """Plays Slack towards the bot at `events_url` (e.g. `http://127.0.0.1:3000/slack/events`).

    Each sender returns the bot's `httpx.Response`; the `*_payload` builders it inherits
    give the same payloads for Socket Mode envelopes. Close it (or use `with`).
    """

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
        self._http = httpx.Client(timeout=10.0)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sending ---------------------------------------------------------------------

    def post(self, body: str, content_type: str, **options: Unpack[SignOptions]) -> httpx.Response:
        """POST a raw body to the bot with Slack's headers."""
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

    def command(
        self,
        text: str,
        *,
        user: str = "U_REPORTER",
        channel: str = "C_NEWSROOM",
        command: str = "/promise",
        trigger_id: str | None = None,
        **options: Unpack[SignOptions],
    ) -> httpx.Response:
        payload = self.command_payload(
            text, user=user, channel=channel, command=command, trigger_id=trigger_id
        )
        return self.post(urlencode(payload), FORM, **options)

    def block_action(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U_REPORTER",
        channel: str | None = "C_NEWSROOM",
        message: dict[str, Any] | None = None,
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        block_id: str | None = None,
        action_type: str = "button",
        response_url: bool = True,
        trigger_id: str | None = None,
        **options: Unpack[SignOptions],
    ) -> httpx.Response:
        payload = self.block_action_payload(
            action_id,
            value,
            user=user,
            channel=channel,
            message=message,
            container=container,
            view=view,
            block_id=block_id,
            action_type=action_type,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return self._post_payload(payload, **options)

    def view_submission(
        self,
        callback_id: str,
        values: dict[str, Any],
        *,
        user: str = "U_REPORTER",
        private_metadata: str = "",
        view_id: str = "V0001",
        **options: Unpack[SignOptions],
    ) -> httpx.Response:
        payload = self.view_submission_payload(
            callback_id, values, user=user, private_metadata=private_metadata, view_id=view_id
        )
        return self._post_payload(payload, **options)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, **options: Unpack[SignOptions]
    ) -> httpx.Response:
        return self.post(
            json.dumps(self.event_envelope(event, event_id=event_id)), "application/json", **options
        )

    def message_in_thread(
        self,
        text: str,
        *,
        user: str = "U_REPORTER",
        channel: str = "C_NEWSROOM",
        thread_ts: str,
        ts: str | None = None,
        event_id: str | None = None,
        **options: Unpack[SignOptions],
    ) -> httpx.Response:
        event = self.thread_message_event(
            text, user=user, channel=channel, thread_ts=thread_ts, ts=ts
        )
        return self.event(event, event_id=event_id, **options)

    def app_home_opened(self, user: str, **options: Unpack[SignOptions]) -> httpx.Response:
        return self.event(self.app_home_opened_event(user), **options)

    def url_verification(self, challenge: str = "fake-challenge") -> httpx.Response:
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post(json.dumps(body), "application/json")

    def _post_payload(
        self, payload: dict[str, Any], **options: Unpack[SignOptions]
    ) -> httpx.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}), FORM, **options)
