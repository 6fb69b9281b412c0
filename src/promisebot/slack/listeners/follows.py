"""Following in Slack: `/promise follow|unfollow|following`, the card's *Follow* /
*Following ✓*, the pick-list's *Follow*, *Unfollow* on a subscription (in `following` or
App Home), and App Home's preference toggles; plus parsing those commands' words."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond

from promisebot.domain import DomainError
from promisebot.services import Services
from promisebot.services.follows import Target, TargetKind
from promisebot.slack.blocks import follows as render
from promisebot.slack.blocks.common import Act, Message
from promisebot.slack.blocks.lookup import card_message, error_message
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation
from promisebot.slack.messenger import Messenger
from promisebot.slack.notify.home import publish_home
from promisebot.slack.requests import ActionRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FollowArgs:
    """`<words or id | tag:<tag> | tracker:<slug>> [here]`."""

    kind: TargetKind
    text: str
    here: bool


def parse_follow_args(text: str) -> FollowArgs:
    words = text.split()
    here = bool(words) and words[-1].lower() == "here"
    if here:
        words.pop()
    rest = " ".join(words)
    if not rest:
        raise DomainError(render.FOLLOW_USAGE)
    prefix, colon, value = rest.partition(":")
    if colon and prefix.lower() in (TargetKind.TAG, TargetKind.TRACKER):
        if not value.strip() or " " in value.strip():
            raise DomainError(
                f"Give one {prefix.lower()} after `{prefix.lower()}:`. {render.FOLLOW_USAGE}"
            )
        return FollowArgs(TargetKind(prefix.lower()), value.strip(), here)
    return FollowArgs(TargetKind.PROMISE, rest, here)


def register(app: App, router: CommandRouter, services: Services, messenger: Messenger) -> None:
    follows = services.follows
    tz = services.settings.tz

    def follow_or_unfollow(invocation: Invocation, *, unfollow: bool) -> CommandReply:
        request = invocation.request
        args = parse_follow_args(invocation.args)
        channel = request.channel_id if args.here else None
        if channel:
            # Asked first: a non-editor hears "editors only", not a list of suggestions.
            follows.authorize_channel(request.user_id)
        if args.kind is not TargetKind.PROMISE:
            target = follows.resolve(args.kind, args.text)
        else:
            result = services.lookup.search(args.text)
            if result.card is None:  # several, or none: pick one with a button
                return CommandReply(
                    render.pick_list_message(result, here=args.here, unfollow=unfollow)
                )
            target = Target.promise(result.card.id)
        if unfollow:
            gone = follows.unfollow(target, user=request.user_id, channel=channel)
            return CommandReply(render.unfollowed_message(gone, channel))
        followed = follows.follow(target, user=request.user_id, channel=channel)
        return CommandReply(render.followed_message(followed, channel))

    def following_command(invocation: Invocation) -> CommandReply:
        request = invocation.request
        found = follows.following(request.user_id, request.channel_id or None)
        return CommandReply(render.following_message(found))

    router.add("follow", lambda invocation: follow_or_unfollow(invocation, unfollow=False))
    router.add("unfollow", lambda invocation: follow_or_unfollow(invocation, unfollow=True))
    router.add("following", following_command)

    def tell(request: ActionRequest, message: Message) -> None:
        messenger.tell(
            request.user_id, message, channel=request.channel_id, response_url=request.response_url
        )

    def press_follow(body: dict[str, Any], respond: Respond, *, follow: bool) -> None:
        request = ActionRequest.from_body(body)
        try:
            promise_id, here = render.parse_follow_value(request.value)
        except ValueError:
            log.warning("ignoring a Follow press with value %r", request.value)
            return
        channel = request.channel_id if here else None
        target = Target.promise(promise_id)
        try:
            if follow:
                answer = render.followed_message(
                    follows.follow(target, user=request.user_id, channel=channel), channel
                )
            else:
                answer = render.unfollowed_message(
                    follows.unfollow(target, user=request.user_id, channel=channel), channel
                )
        except DomainError as error:
            tell(request, error_message(str(error)))
            return
        card_ids = {
            block.get("block_id") for block in (body.get("message") or {}).get("blocks", [])
        }
        if request.is_ephemeral and f"card:{promise_id}" in card_ids and request.response_url:
            # The presser's own card: show the button's new state in place.
            card = services.lookup.card(promise_id)
            message = card_message(
                card,
                tz,
                is_editor=services.permissions.is_editor(request.user_id),
                following=follow,
            )
            respond(replace_original=True, text=message.text, blocks=message.blocks)
            return
        tell(request, answer)

    @app.action(Act.FOLLOW)
    def handle_follow(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        press_follow(body, respond, follow=True)

    @app.action(Act.UNFOLLOW)
    def handle_unfollow(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        press_follow(body, respond, follow=False)

    @app.action(Act.UNFOLLOW_SUBSCRIPTION)
    def handle_unfollow_subscription(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        try:
            follows.unfollow_by_id(request.int_value, user=request.user_id)
        except DomainError as error:
            tell(request, error_message(str(error)))
            return
        if request.view_id is not None:  # App Home
            publish_home(services, messenger, request.user_id)
            return
        found = follows.following(request.user_id, request.channel_id)
        message = render.following_message(found)
        respond(replace_original=True, text=message.text, blocks=message.blocks)

    @app.action(Act.FOLLOW_PREFERENCE)
    def handle_preference(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        request = ActionRequest.from_body(body)
        current = follows.following(request.user_id).preferences
        try:
            wanted = render.parse_preference_value(request.value, current)
        except ValueError:
            log.warning("ignoring a preference toggle with value %r", request.value)
            return
        follows.set_preferences(request.user_id, wanted)
        publish_home(services, messenger, request.user_id)
