"""`/promise`: split the text into a subcommand and its arguments, then dispatch.

Feature modules register their subcommands on the router; plain words are a lookup.
The reply travels in the ack itself (Slack shows it ephemerally), so a lookup costs one
round trip; anything slow goes into `CommandReply.after`, which runs after the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import Ack, App, BoltContext, BoltRequest

from promisebot.domain import DomainError
from promisebot.slack.acks import run_after_ack
from promisebot.slack.blocks.common import Message
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.requests import CommandRequest

log = logging.getLogger(__name__)

COMMAND = "/promise"
MAX_COMMAND_TEXT = 2000


@dataclass(frozen=True)
class CommandReply:
    message: Message | None = None
    visible: bool = False
    after: Callable[[], None] | None = None


@dataclass(frozen=True)
class Invocation:
    request: CommandRequest
    args: str  # the text after the subcommand word


Handler = Callable[[Invocation], CommandReply]


@dataclass
class CommandRouter:
    """Subcommand name → handler; text that names no subcommand goes to `fallback`."""

    fallback: Handler | None = None
    handlers: dict[str, Handler] = field(default_factory=dict)

    def add(self, name: str, handler: Handler) -> None:
        self.handlers[name] = handler

    def route(self, request: CommandRequest) -> tuple[Handler, Invocation]:
        word, _, rest = request.text.partition(" ")
        handler = self.handlers.get(word.lower())
        if handler is not None:
            return handler, Invocation(request, rest.strip())
        if not request.text and "help" in self.handlers:
            return self.handlers["help"], Invocation(request, "")
        if self.fallback is None:
            raise DomainError("Unknown command. Try `/promise help`.")
        return self.fallback, Invocation(request, request.text)


def register(app: App, router: CommandRouter) -> None:
    @app.command(COMMAND)
    def handle_promise_command(
        ack: Ack, body: dict[str, object], context: BoltContext, request: BoltRequest
    ) -> None:
        reply = answer(router, CommandRequest.from_body(body))
        if reply.message is None:
            ack()
        else:
            ack(
                text=reply.message.text,
                blocks=reply.message.blocks,
                response_type="in_channel" if reply.visible else "ephemeral",
            )
        if reply.after is not None:
            run_after_ack(context, request, reply.after)


def answer(router: CommandRouter, request: CommandRequest) -> CommandReply:
    """Run the handler; bad input becomes a friendly ephemeral message, never a traceback."""
    if len(request.text) > MAX_COMMAND_TEXT:
        return CommandReply(error_message("That is too long for a command; keep it shorter."))
    try:
        handler, invocation = router.route(request)
        return handler(invocation)
    except DomainError as error:
        return CommandReply(error_message(str(error)))
    except Exception:
        log.exception("/promise failed")
        return CommandReply(
            error_message("Sorry, something went wrong on our side. Please try again in a moment.")
        )
