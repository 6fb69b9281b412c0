"""Deadlines in Slack: `/promise due <id> <YYYY-MM-DD> [label]` and `/promise due <id> none`,
with the parsing of those words into typed arguments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from promisebot.domain import DomainError, InvalidDeadline, parse_due_on
from promisebot.services import Services
from promisebot.slack.blocks import deadlines as render
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation

CLEAR_WORDS = frozenset({"none", "clear", "off"})


@dataclass(frozen=True, slots=True)
class DueArguments:
    ref: str
    due_on: date | None  # None clears the deadline
    label: str


def parse_due_args(text: str) -> DueArguments:
    """`<id> <YYYY-MM-DD> [label]` or `<id> none`."""
    words = text.split(maxsplit=2)
    if len(words) < 2:
        raise DomainError(f"Give a promise id and a date. {render.DUE_USAGE}")
    ref, when = words[0], words[1]
    label = words[2] if len(words) > 2 else ""
    if when.lower() in CLEAR_WORDS:
        if label:
            raise DomainError(f"`none` clears the deadline; it takes no label. {render.DUE_USAGE}")
        return DueArguments(ref, None, "")
    try:
        return DueArguments(ref, parse_due_on(when), label)
    except InvalidDeadline as error:
        raise InvalidDeadline(f"{error} {render.DUE_USAGE}") from None


def register(router: CommandRouter, services: Services) -> None:
    def due_command(invocation: Invocation) -> CommandReply:
        user = invocation.request.user_id
        # Asked before parsing, so a non-editor hears "editors only", not a lesson in dates.
        services.deadlines.authorize(user)
        arguments = parse_due_args(invocation.args)
        result = services.deadlines.set(arguments.ref, user, arguments.due_on, arguments.label)
        return CommandReply(render.deadline_saved_message(result))

    router.add("due", due_command)
