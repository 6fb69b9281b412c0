"""Lookups: `/promise <words or id>`, `help`, `list` (by rating, or `list overdue`), `stats`,
the pick-list and sharing."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from promisebot.domain import DomainError, Rating, UnknownRating, parse_rating
from promisebot.services import Services
from promisebot.services.lookup import PromiseCard
from promisebot.slack.acks import after_ack
from promisebot.slack.blocks import lookup as render
from promisebot.slack.blocks.common import Act, Message
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation
from promisebot.slack.messenger import Messenger
from promisebot.slack.requests import ActionRequest

log = logging.getLogger(__name__)

# Each link costs a chat.getPermalink call before the card is answered.
OPEN_PROPOSAL_LINKS = 3
LIST_USAGE = (
    "Usage: `/promise list <rating> [tracker]` or `/promise list overdue [tracker]`, "
    "e.g. `/promise list stalled trump-2025`."
)
OVERDUE = "overdue"


def parse_list_args(args: str) -> tuple[Rating, str | None]:
    """`promise kept trump-2025` → (Promise Kept, "trump-2025"): the longest rating prefix wins."""
    words = args.split()
    if not words:
        raise DomainError(LIST_USAGE)
    for cut in range(min(len(words), 3), 0, -1):
        try:
            rating = parse_rating(" ".join(words[:cut]))
        except UnknownRating:
            continue
        rest = words[cut:]
        if len(rest) > 1:
            raise DomainError(LIST_USAGE)
        return rating, rest[0] if rest else None
    raise UnknownRating(" ".join(words))


def register(app: App, router: CommandRouter, services: Services, messenger: Messenger) -> None:
    tz = services.settings.tz

    def permalinks(card: PromiseCard) -> dict[int, str]:
        """Links to the threads of the card's open proposals (rarely more than one)."""
        return {
            proposal.id: found
            for proposal in card.open_proposals[:OPEN_PROPOSAL_LINKS]
            if proposal.channel_id and proposal.message_ts
            if (found := messenger.permalink(proposal.channel_id, proposal.message_ts))
        }

    def lookup(invocation: Invocation) -> CommandReply:
        query = invocation.args
        if not query:
            return CommandReply(render.help_message())
        result = services.lookup.search(query)
        user = invocation.request.user_id
        is_editor = services.permissions.is_editor(user)
        if result.card is not None:
            return CommandReply(
                render.card_message(
                    result.card,
                    tz,
                    is_editor=is_editor,
                    permalinks=permalinks(result.card),
                    following=services.follows.is_following(user, result.card.id),
                    viewer=invocation.request.user_id,
                )
            )
        return CommandReply(render.lookup_message(result, tz, is_editor=is_editor))

    def help_command(invocation: Invocation) -> CommandReply:
        return CommandReply(render.help_message())

    def list_command(invocation: Invocation) -> CommandReply:
        words = invocation.args.split()
        if words and words[0].lower() == OVERDUE:
            if len(words) > 2:
                raise DomainError(LIST_USAGE)
            tracker_slug = words[1] if len(words) == 2 else None
            listing = services.lookup.list_overdue(tracker_slug)
            return CommandReply(render.overdue_list_message(listing))
        rating, tracker = parse_list_args(invocation.args)
        return CommandReply(
            render.list_message(services.lookup.list_by_rating(rating, tracker), tz)
        )

    def stats_command(invocation: Invocation) -> CommandReply:
        tracker = invocation.args.split()[0] if invocation.args else None
        return CommandReply(render.scorecard_message(services.lookup.scorecard(tracker)))

    router.fallback = lookup
    router.add("help", help_command)
    router.add("list", list_command)
    router.add("stats", stats_command)
    router.add("scorecard", stats_command)

    def pressed_card(promise_id: int, respond: Respond) -> PromiseCard | None:
        """The card of the promise a button names; None once the presser is told why not."""
        try:
            return services.lookup.card(promise_id)
        except DomainError as error:
            respond(replace_original=False, **_payload(render.error_message(str(error))))
            return None

    @app.action(Act.PICK)
    @after_ack
    def handle_pick(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        # A pick-list's button carries its query: the press may teach search that query.
        _, _, query_key = request.value.partition(":")
        if query_key:
            services.aliases.record_pick(request.int_value, query_key, request.user_id)
        card = pressed_card(request.int_value, respond)
        if card is None:
            return
        message = render.card_message(
            card,
            tz,
            is_editor=services.permissions.is_editor(request.user_id),
            permalinks=permalinks(card),
            following=services.follows.is_following(request.user_id, card.id),
            viewer=request.user_id,
        )
        respond(replace_original=True, **_payload(message))

    @app.action(Act.SHARE)
    @after_ack
    def handle_share(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None or not request.channel_id:
            return
        card = pressed_card(request.int_value, respond)
        if card is None:
            return
        message = render.card_message(
            card, tz, shared_by=request.user_id, permalinks=permalinks(card)
        )
        try:
            messenger.post(request.channel_id, message)
        except SlackApiError as error:
            # Not a member of the channel (or a DM): the response_url can still post there.
            log.info(
                "share via chat.postMessage failed (%s); using response_url",
                error.response.get("error"),
            )
            respond(response_type="in_channel", replace_original=False, **_payload(message))
            return
        if request.is_ephemeral:
            respond(delete_original=True)

    @app.action(Act.OPEN_LINK)
    def handle_open_link(ack: Ack) -> None:
        ack()


def _payload(message: Message) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.blocks}
