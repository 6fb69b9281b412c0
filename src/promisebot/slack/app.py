"""The Bolt app: listeners registered per feature, one error handler, Socket Mode or HTTP."""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from promisebot import logs
from promisebot.services import Services
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.commands import CommandRouter
from promisebot.slack.commands import register as register_command
from promisebot.slack.listeners import (
    aliases,
    capture,
    deadlines,
    evidence,
    follows,
    home,
    lookup,
    picker,
    proposals,
    reminders,
    unfurls,
)
from promisebot.slack.messenger import Messenger
from promisebot.slack.verification import SignatureCheck
from promisebot.slack.workspace import Workspace, WorkspaceAuthorize, refuse_other_workspaces

log = logging.getLogger(__name__)
T = TypeVar("T")

SORRY = "Sorry, something went wrong on our side. Please try again in a moment."


def create_app(
    services: Services, client: WebClient, workspace: Workspace, *, executor_threads: int = 16
) -> App:
    settings = services.settings
    signing_secret = settings.slack_signing_secret
    app = App(
        client=client,
        signing_secret=signing_secret.get_secret_value() if signing_secret else None,
        # Bolt runs only 5 listeners at once by default; slow Slack calls would queue behind.
        listener_executor=ContextExecutor(
            max_workers=executor_threads, thread_name_prefix="listener"
        ),
        logger=_bolt_logger(),
        # The ack leaves when the listener returns instead of at Bolt's next 10 ms poll;
        # listeners hand slow work to the pool themselves (`slack.acks`).
        process_before_response=True,
        # The installed team comes from the Workspace: Bolt's own auth.test in App(...) would
        # turn an unreachable Slack or a rejected token into a traceback at start-up.
        authorize=WorkspaceAuthorize(workspace),  # type: ignore[arg-type]  # an Authorize may return None
        # Our check runs in the same place (before authorization) but logs why, not the body.
        request_verification_enabled=False,
        before_authorize=SignatureCheck(
            signing_secret.get_secret_value() if signing_secret else None
        ),
    )
    app.use(_tag_logs_with_request_id)
    app.use(refuse_other_workspaces(workspace))
    messenger = Messenger(client)
    router = CommandRouter()
    register_command(app, router)
    lookup.register(app, router, services, messenger)
    evidence.register(app, router, services, messenger)
    aliases.register(app, router, services, messenger)
    reminders.register(app, router, services, messenger)
    deadlines.register(router, services)
    follows.register(app, router, services, messenger)
    home.register(app, services, messenger)
    proposals.register(app, router, services, messenger)
    picker.register(app, services, messenger)
    capture.register(app, services, messenger)
    unfurls.register(app, services, messenger)
    _register_error_handler(app, messenger)
    return app


def _bolt_logger() -> logging.Logger:
    """Bolt's logger, without its start-up notes that the client's token is not used: our
    `authorize` answers for the installed team on purpose."""
    logger = logging.getLogger("promisebot.bolt")
    if not logger.filters:
        logger.addFilter(lambda record: not _TOKEN_NOTES.search(record.getMessage()))
    return logger


_TOKEN_NOTES = re.compile(
    r"`token` will be unused|`token` \(or SLACK_BOT_TOKEN env variable\) will be ignored"
)


class ContextExecutor(ThreadPoolExecutor):
    """Runs listeners with the submitting thread's context, so log lines keep the request id."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)


def _tag_logs_with_request_id(
    request: BoltRequest, next: Callable[[], BoltResponse]
) -> BoltResponse:
    body = request.body
    tag = str(
        body.get("event_id")
        or body.get("trigger_id")
        or (body.get("container") or {}).get("message_ts")
        or ""
    )
    logs.request_id.set(tag)
    return next()


def _register_error_handler(app: App, messenger: Messenger) -> None:
    @app.error
    def handle_errors(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
        _tell_user(messenger, body)
        return None


def _tell_user(messenger: Messenger, body: dict[str, Any]) -> None:
    """Best effort: an ephemeral "sorry" where the user acted (in the thread, for a message
    event); never a stack trace, never silence."""
    event = body.get("event") or {}
    response_url = body.get("response_url")
    user = body.get("user_id") or (body.get("user") or {}).get("id") or event.get("user")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    channel = channel or event.get("channel")
    if response_url or (user and channel):
        messenger.tell(
            str(user),
            error_message(SORRY),
            channel=str(channel) if channel else None,
            thread_ts=event.get("thread_ts"),
            response_url=str(response_url) if response_url else None,
        )
