"""The workspace the bot is installed in, learnt from `auth.test` (team, enterprise, bot user),
kept in one small object that Bolt's authorization, /healthz and start-up read."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.context import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

# auth.test answers that no retry can fix: the operator has to change the token.
REJECTED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)

# slack_sdk logs every failed connection at ERROR; start-up logs each attempt once itself.
_quiet_sdk_log = logging.getLogger("promisebot.slack.auth_test")
_quiet_sdk_log.setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class InstalledTeam:
    """Who we are in Slack, from the first successful `auth.test`."""

    team_id: str
    enterprise_id: str | None
    bot_user_id: str
    bot_id: str | None


class RejectedBotToken(Exception):
    """Slack refused SLACK_BOT_TOKEN; the message is one sentence for the operator."""

    def __init__(self, error: str) -> None:
        super().__init__(
            f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token (xoxb-…) "
            "from your Slack app's OAuth & Permissions page, and reinstall the app if it was "
            "removed from the workspace."
        )
        self.error = error


class SlackUnreachable(Exception):
    """auth.test got no answer, or an answer a later attempt may not get (5xx, rate limit)."""


def backoff(first: float = 1.0, factor: float = 2.0, cap: float = 30.0) -> Iterator[float]:
    delay = first
    while True:
        yield delay
        delay = min(delay * factor, cap)


class Workspace:
    """The installed team once known; `verify()` asks Slack once, `keep_verifying()` until
    Slack answers. Thread-safe: the HTTP server reads it while start-up retries."""

    def __init__(self, client: WebClient) -> None:
        # A client of its own without retry handlers: one attempt is one request, one log line.
        self._client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            logger=_quiet_sdk_log,
            retry_handlers=[],
        )
        self._team: InstalledTeam | None = None
        self._lock = threading.Lock()

    @property
    def team(self) -> InstalledTeam | None:
        return self._team

    def slack_status(self) -> Literal["ok", "unreachable"]:
        return "ok" if self._team is not None else "unreachable"

    def verify(self) -> InstalledTeam:
        """One `auth.test`; raises RejectedBotToken or SlackUnreachable."""
        try:
            answer = self._client.auth_test()
        except SlackApiError as error:
            code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
            if code in REJECTED_TOKEN_ERRORS:
                raise RejectedBotToken(code) from None
            raise SlackUnreachable(f"auth.test answered {code}") from None
        except (OSError, SlackClientError) as error:
            raise SlackUnreachable(_describe(error)) from None
        team = InstalledTeam(
            team_id=str(answer["team_id"]),
            enterprise_id=answer.get("enterprise_id") or None,
            bot_user_id=str(answer["user_id"]),
            bot_id=answer.get("bot_id") or None,
        )
        with self._lock:
            first = self._team is None
            self._team = team
        if first:
            log.info("Slack: installed in team %s as bot user %s", team.team_id, team.bot_user_id)
        return team

    def keep_verifying(
        self,
        stop: threading.Event,
        delays: Iterator[float] | None = None,
        *,
        max_attempts: int | None = None,
    ) -> InstalledTeam | None:
        """`verify()` until Slack answers, one log line per failed attempt, waiting `delays`
        between attempts. None when `stop` is set or `max_attempts` have failed; a rejected
        token raises RejectedBotToken at once."""
        waits = delays or backoff()
        attempt = 0
        while not stop.is_set():
            attempt += 1
            try:
                return self.verify()
            except SlackUnreachable as error:
                if max_attempts is not None and attempt >= max_attempts:
                    log.warning("Slack API unreachable (attempt %d: %s); giving up", attempt, error)
                    return None
                delay = next(waits)
                log.warning(
                    "Slack API unreachable (attempt %d: %s); retrying in %.0f s",
                    attempt,
                    error,
                    delay,
                )
                stop.wait(delay)
        return None

    def authorize_result(self) -> AuthorizeResult | None:
        """What Bolt needs for every request; asks Slack now if start-up has not yet managed."""
        team = self._team
        if team is None:
            try:
                team = self.verify()
            except (RejectedBotToken, SlackUnreachable) as error:
                log.error("cannot authorize the request: %s", error)
                return None
        return AuthorizeResult(
            enterprise_id=team.enterprise_id,
            team_id=team.team_id,
            bot_user_id=team.bot_user_id,
            bot_id=team.bot_id,
            bot_token=self._client.token,
        )


class WorkspaceAuthorize(Authorize):
    """Bolt's `authorize` from the Workspace: no `auth.test` inside `App(...)`, so start-up
    decides what an unreachable Slack or a rejected token means."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        return self.workspace.authorize_result()


OTHER_WORKSPACE = "This app is installed in another workspace."


def is_installed_for(
    installed: InstalledTeam,
    *,
    team_id: str | None,
    enterprise_id: str | None,
    is_enterprise_install: bool | None,
) -> bool:
    """Whether a request belongs to the installation `auth.test` named. Bolt reads the
    installation's team from the payload (`team.id` of an action, `authorizations[0]` of an
    event), not the acting user's, so Slack Connect users of our channels still count."""
    if is_enterprise_install and not installed.enterprise_id:
        return False  # an org-wide installation of this app: not the one we run as
    if enterprise_id and enterprise_id != installed.enterprise_id:
        return False
    return not team_id or team_id == installed.team_id


def refuse_other_workspaces(
    workspace: Workspace,
) -> Callable[[BoltRequest, Callable[[], BoltResponse]], BoltResponse]:
    """Bolt middleware: a request from a team or org the bot is not installed in changes
    nothing and shows nothing but OTHER_WORKSPACE where Slack shows replies; one log line."""

    def refuse_other_workspace(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
        installed = workspace.team
        context = req.context
        if installed is None or is_installed_for(
            installed,
            team_id=context.team_id,
            enterprise_id=context.enterprise_id,
            is_enterprise_install=context.is_enterprise_install,
        ):
            return next()
        body = req.body
        kind = _request_kind(body)
        log.warning(
            "refused a %s from team %s (enterprise %s): this app is installed in team %s",
            kind,
            context.team_id,
            context.enterprise_id,
            installed.team_id,
        )
        return BoltResponse(status=200, body=_refusal(kind), headers=_JSON)

    return refuse_other_workspace


_JSON: dict[str, str | Sequence[str]] = {"content-type": "application/json;charset=utf-8"}


def _request_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    if body.get("type") == "event_callback":
        return f"{(body.get('event') or {}).get('type', 'event')} event"
    return str(body.get("type") or "request")


def _refusal(kind: str) -> str:
    if kind == "command":
        return json.dumps({"response_type": "ephemeral", "text": OTHER_WORKSPACE})
    if kind == "view_submission":
        view = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Promisebot"},
            "blocks": [
                {"type": "section", "text": {"type": "plain_text", "text": OTHER_WORKSPACE}}
            ],
        }
        return json.dumps({"response_action": "update", "view": view})
    if kind == "block_suggestion":
        return json.dumps({"options": []})
    return ""


def _describe(error: BaseException) -> str:
    reason = getattr(error, "reason", None)  # URLError wraps the socket error
    return f"{type(error).__name__}: {reason or error}"
