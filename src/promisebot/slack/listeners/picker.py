"""The typeahead promise picker's options (every `picker.` id, ranked as `/promise` ranks),
and the *Look up a promise* shortcut: pick, see the card, share it in a channel."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk.errors import SlackApiError

from promisebot.domain import DomainError
from promisebot.services import Services
from promisebot.slack.acks import after_ack, run_after_ack
from promisebot.slack.blocks import picker as render
from promisebot.slack.blocks.common import Act, Shortcuts, Views
from promisebot.slack.blocks.lookup import card_message, error_message
from promisebot.slack.messenger import Messenger
from promisebot.slack.requests import ActionRequest, OptionsRequest, ViewSubmission

log = logging.getLogger(__name__)

PICKERS = re.compile(r"^picker\.")
# Enough to scroll through; Slack would take up to 100, and ranking more costs time.
OPTIONS_SHOWN = 50
NOT_SHARED = "I couldn't post the card in that channel. Invite me there, or pick another."


def register(app: App, services: Services, messenger: Messenger) -> None:
    tz = services.settings.tz

    @app.options(PICKERS)
    def handle_picker_options(ack: Ack, body: dict[str, Any]) -> None:
        request = OptionsRequest.from_body(body)
        try:
            choices = services.lookup.suggest(request.value, OPTIONS_SHOWN)
        except Exception:
            # An error here shows as "no results" anyway; never a failure in the picker.
            log.warning("picker options failed", exc_info=True)
            choices = ()
        ack(options=render.promise_options(choices))

    @app.shortcut(Shortcuts.LOOK_UP)
    @after_ack
    def handle_look_up_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        trigger_id = str(body.get("trigger_id", ""))
        try:
            messenger.client.views_open(trigger_id=trigger_id, view=render.look_up_modal())
        except SlackApiError as error:
            log.warning("look-up modal not opened: %s", error.response.get("error"))

    @app.action(Act.PICK_TO_LOOK_UP)
    @after_ack
    def handle_look_up_pick(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        request = ActionRequest.from_body(body)
        view = body.get("view") or {}
        if request.int_value is None or not request.view_id:
            return
        try:
            shown = render.look_up_card_modal(services.lookup.card(request.int_value), tz)
        except DomainError as error:
            shown = {**render.look_up_modal(), "blocks": error_message(str(error)).blocks}
        try:
            messenger.client.views_update(
                view_id=request.view_id, hash=view.get("hash"), view=shown
            )
        except SlackApiError as error:
            log.info("look-up modal not updated: %s", error.response.get("error"))

    @app.view(Views.LOOK_UP)
    def handle_look_up_share(
        ack: Ack,
        body: dict[str, Any],
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        submitted = ViewSubmission.from_body(body)
        user, metadata = submitted.user_id, submitted.metadata
        channel = render.shared_channel(submitted.values)
        if channel is None or not metadata.isdigit():
            ack(response_action="errors", errors={render.CHANNEL: "Pick a channel."})
            return
        ack()
        run_after_ack(context, request, lambda: share(user, int(metadata), channel))

    def share(user: str, promise_id: int, channel: str) -> None:
        try:
            card = services.lookup.card(promise_id)
        except DomainError as error:
            messenger.tell(user, error_message(str(error)))
            return
        try:
            messenger.post(channel, card_message(card, tz, shared_by=user))
        except SlackApiError as error:
            log.info("look-up share refused: %s", error.response.get("error"))
            messenger.tell(user, error_message(NOT_SHARED))
