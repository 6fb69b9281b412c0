"""Proposing a rating change: `/promise propose <words or id>` and the card's *Propose change*
button open the modal; its submission stores the proposal and posts the thread root.
Reviews live in `proposal_review`; what Slack is told after a commit, in `proposal_updates`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from promisebot.domain import DomainError
from promisebot.services import Services
from promisebot.services.proposal_views import InvalidProposal
from promisebot.slack.blocks import proposal_modals as modals
from promisebot.slack.blocks import proposals as render
from promisebot.slack.blocks.common import Act, ModalContext, Views
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation
from promisebot.slack.listeners import proposal_review
from promisebot.slack.listeners.proposal_updates import (
    EXPIRY_INTERVAL_SECONDS,
    EXPIRY_JOB_ID,
    ProposalMessages,
)
from promisebot.slack.messenger import Messenger
from promisebot.slack.requests import ActionRequest

log = logging.getLogger(__name__)

TOO_SLOW = "Slack closed the window for opening the form; please try again."


def register(app: App, router: CommandRouter, services: Services, messenger: Messenger) -> None:
    updates = ProposalMessages(services, messenger)
    tz = services.settings.tz

    def propose_command(invocation: Invocation) -> CommandReply:
        request = invocation.request
        if not invocation.args:
            return CommandReply(render.usage_message())
        promise = services.lookup.find_one(invocation.args)
        draft = services.proposals.draft(promise.id, request.user_id)
        modal = modals.propose_modal(
            draft, ModalContext(promise.id, request.channel_id or None), tz
        )

        def open_modal() -> None:
            # Right after the ack: the trigger id is good for one view within 3 seconds.
            try:
                messenger.client.views_open(trigger_id=request.trigger_id, view=modal)
            except SlackApiError as error:
                log.warning("propose modal not opened: %s", error.response.get("error"))
                messenger.respond(request.response_url, error_message(TOO_SLOW))

        return CommandReply(after=open_modal)

    router.add("propose", propose_command)

    @app.action(Act.PROPOSE)
    def handle_propose_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        try:
            draft = services.proposals.draft(request.int_value, request.user_id)
        except DomainError as error:
            tell(messenger, updates, request, str(error))
            return
        modal = ModalContext(draft.promise_id, request.channel_id)
        client.views_open(
            trigger_id=request.trigger_id, view=modals.propose_modal(draft, modal, tz)
        )

    @app.view(Views.PROPOSE)
    def handle_propose_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = str((body.get("user") or {}).get("id", ""))
        modal = ModalContext.load(str(view.get("private_metadata") or ""))
        if modal is None:
            ack(response_action="errors", errors={modals.RATIONALE: modals.EXPIRED_FORM})
            return
        form = modals.read_propose_form((view.get("state") or {}).get("values") or {})
        if form.errors or form.rating is None:
            ack(response_action="errors", errors=form.errors or {modals.RATING: "Pick one."})
            return
        try:
            proposal = services.proposals.propose(
                promise_id=modal.subject_id,
                user=user,
                to_rating=form.rating,
                rationale=form.rationale,
                links_text=form.links_text,
                effective_on=form.effective_on,
                origin_channel=modal.channel_id,
            )
        except InvalidProposal as error:
            ack(response_action="errors", errors=field_errors(error.errors))
            return
        except DomainError as error:
            ack(response_action="errors", errors={modals.RATING: str(error)})
            return
        ack()  # closes the modal; posting happens after
        updates.publish_new(proposal, origin_channel=modal.channel_id)

    proposal_review.register(app, services, updates)


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Each message beside its input; anything without an input goes beside the rationale."""
    shown: dict[str, str] = {}
    for field, message in errors.items():
        block = field if field in modals.PROPOSE_FIELDS else modals.RATIONALE
        shown[block] = f"{shown[block]} {message}" if block in shown else message
    return shown


def tell(
    messenger: Messenger, updates: ProposalMessages, request: ActionRequest, text: str
) -> None:
    """An ephemeral answer to whoever pressed a button, where they pressed it."""
    message = error_message(text)
    if request.is_ephemeral and request.response_url:
        messenger.respond(request.response_url, message)
        return
    updates.tell(request.channel_id, request.user_id, message, thread_ts=request.thread_ts)


def expire_and_update(services: Services, messenger: Messenger) -> int:
    """Expire overdue open proposals and update their roots; returns how many expired."""
    return ProposalMessages(services, messenger).expire_and_update()


def expiry_job(
    services: Services, messenger: Messenger, *, every_seconds: float = EXPIRY_INTERVAL_SECONDS
) -> tuple[str, Callable[[], object], float]:
    """The scheduler's extra job (`PromisebotScheduler(extra_jobs=[...])`): id, function,
    interval. Safe on every replica: each expiry is decided under the promise's row lock."""
    updates = ProposalMessages(services, messenger)
    return (EXPIRY_JOB_ID, updates.expire_and_update, every_seconds)
