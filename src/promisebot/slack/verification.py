"""Slack's request signature, checked before anything else runs; a refusal is logged with
its reason (clock drift or a wrong signing secret) and never with the request's body."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

# Slack's advice: refuse requests more than five minutes from our clock (replays).
MAX_CLOCK_SKEW_SECONDS = 5 * 60


class SignatureCheck(Middleware):
    """Replaces Bolt's RequestVerification, which logs the whole body (the user's text and a
    live response_url) at INFO and cannot tell a stale timestamp from a wrong secret."""

    def __init__(self, signing_secret: str | None, clock: Callable[[], float] = time.time):
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._clock = clock

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if req.mode == "socket_mode":  # the WebSocket itself is authenticated
            return next()
        problem = self.problem(
            req.raw_body,
            _header(req, "x-slack-request-timestamp"),
            _header(req, "x-slack-signature"),
        )
        if problem is None:
            return next()
        log.warning("refused a request to /slack/events: %s", problem)
        return BoltResponse(status=401, body={"error": "invalid request"})

    def problem(self, body: str, timestamp: str, signature: str) -> str | None:
        """Why the request is not Slack's, or None when it is."""
        if self._verifier is None:
            return "SLACK_SIGNING_SECRET is not set, so no request can be verified"
        if not timestamp or not signature:
            return "request without Slack's signature headers"
        try:
            skew = self._clock() - int(timestamp)
        except ValueError:
            return "request timestamp is not a number"
        if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
            return (
                f"request timestamp too old (clock drift?): it is {skew:+.0f} s away from "
                "this server's clock; check the server's time sync"
            )
        expected = self._verifier.generate_signature(timestamp=timestamp, body=body) or ""
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return "request signature does not match (wrong SLACK_SIGNING_SECRET?)"
        return None


def _header(req: BoltRequest, name: str) -> str:
    values = req.headers.get(name) or [""]
    return str(values[0])
