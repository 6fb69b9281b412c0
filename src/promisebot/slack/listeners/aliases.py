"""Aliases: `/promise alias <id> [words]` and `/promise unalias <id> <words>`."""

from __future__ import annotations

from slack_bolt import App

from promisebot.domain import DomainError
from promisebot.services import Services
from promisebot.slack.blocks import aliases as render
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation
from promisebot.slack.messenger import Messenger


def parse_alias_args(args: str, *, words_required: bool) -> tuple[str, str]:
    """`<id> <words>` → (id, words); the text arrives as typed (`CommandRequest`)."""
    query, _, words = args.partition(" ")
    if not query or (words_required and not words.strip()):
        raise DomainError(render.USAGE)
    return query, words.strip()


def register(app: App, router: CommandRouter, services: Services, messenger: Messenger) -> None:
    def alias_command(invocation: Invocation) -> CommandReply:
        query, words = parse_alias_args(invocation.args, words_required=False)
        promise = services.lookup.find_one(query)
        if not words:
            return CommandReply(render.aliases_message(services.aliases.aliases_of(promise.id)))
        listing = services.aliases.add(promise.id, words, invocation.request.user_id)
        return CommandReply(render.aliases_message(listing))

    def unalias_command(invocation: Invocation) -> CommandReply:
        query, words = parse_alias_args(invocation.args, words_required=True)
        promise = services.lookup.find_one(query)
        listing = services.aliases.remove(promise.id, words, invocation.request.user_id)
        return CommandReply(render.aliases_message(listing))

    router.add("alias", alias_command)
    router.add("unalias", unalias_command)
