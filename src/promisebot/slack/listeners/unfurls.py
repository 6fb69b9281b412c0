"""Link previews: `link_shared` on the tracker's own pages → `chat.unfurl` with the live card
in brief, and its *Look up* button. Unknown pages are left alone, silently."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from promisebot.domain import DomainError
from promisebot.services import Services
from promisebot.slack.acks import after_ack
from promisebot.slack.blocks.common import Act
from promisebot.slack.blocks.lookup import card_message, error_message
from promisebot.slack.blocks.unfurls import unfurl_blocks
from promisebot.slack.messenger import Messenger
from promisebot.slack.requests import ActionRequest, LinkSharedRequest

log = logging.getLogger(__name__)


def register(app: App, services: Services, messenger: Messenger) -> None:
    tz = services.settings.tz

    @app.event("link_shared")
    @after_ack
    def handle_link_shared(event: dict[str, Any]) -> None:
        request = LinkSharedRequest.from_event(event)
        cards = services.lookup.cards_for_pages(request.urls)
        if not cards:
            return
        unfurls = {url: {"blocks": unfurl_blocks(card, tz)} for url, card in cards.items()}
        try:
            messenger.unfurl(
                unfurls,
                channel=request.channel_id,
                ts=request.message_ts,
                unfurl_id=request.unfurl_id,
                source=request.source,
            )
        except SlackApiError as error:
            # A preview is a nicety: nothing is said in the channel when Slack refuses one.
            log.info("chat.unfurl refused: %s", error.response.get("error"))

    @app.action(Act.LOOK_UP)
    @after_ack
    def handle_look_up(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        try:
            card = services.lookup.card(request.int_value)
        except DomainError as error:
            message = error_message(str(error))
        else:
            is_editor = services.permissions.is_editor(request.user_id)
            message = card_message(card, tz, is_editor=is_editor)
        messenger.tell(
            request.user_id,
            message,
            channel=request.channel_id,
            response_url=request.response_url,
        )
