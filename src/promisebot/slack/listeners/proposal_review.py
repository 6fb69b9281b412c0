"""Reviewing a proposal: the root's *Approve*, *Reject* (with its reason modal) and *Withdraw*
buttons, and review replies in the proposal's thread (`approve`, `lgtm`, `reject <reason>`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from promisebot.domain import (
    DomainError,
    NotAnEditor,
    Outcome,
    ProposalClosed,
    RejectionNeedsReason,
    SelfReview,
    Verdict,
)
from promisebot.services import Services
from promisebot.services.proposal_views import InvalidProposal, ProposalView
from promisebot.services.thread_replies import parse_reply
from promisebot.slack.blocks import proposal_modals as modals
from promisebot.slack.blocks import proposals as render
from promisebot.slack.blocks.common import Act, ModalContext, Views
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.listeners.proposal_updates import ProposalMessages
from promisebot.slack.requests import ActionRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A person's new message inside a thread; None for everything the bot must ignore."""

    channel_id: str
    thread_ts: str
    user: str
    text: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ThreadMessage | None:
        # Bot posts (ours included), edits, deletions and joins all carry a bot_id or a
        # subtype; a reply also sent to the channel is still a person's reply. A message
        # outside a thread, or the thread's root itself, is not a review.
        if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast"):
            return None
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        channel, user = event.get("channel"), event.get("user")
        if not thread_ts or thread_ts == ts or not channel or not user:
            return None
        return cls(str(channel), str(thread_ts), str(user), str(event.get("text") or ""))


def refusal(proposal: ProposalView, user: str, is_editor: bool) -> DomainError | None:
    """Why `user` may not review now, checked before opening the reason modal (the service
    checks again on submission)."""
    if not proposal.is_open:
        return ProposalClosed(proposal.status)
    if not is_editor:
        return NotAnEditor("review rating changes")
    if user == proposal.proposed_by:
        return SelfReview()
    return None


def register(app: App, services: Services, updates: ProposalMessages) -> None:
    proposals = services.proposals

    def tell(request: ActionRequest, text: str) -> None:
        updates.tell(request.channel_id, request.user_id, error_message(text))

    def refuse(request: ActionRequest, proposal_id: int, error: DomainError) -> None:
        """Tell the presser why not; a proposal found closed also gets its root updated."""
        tell(request, str(error))
        if isinstance(error, ProposalClosed):
            updates.heal(proposal_id)

    @app.action(Act.APPROVE)
    def handle_approve(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        try:
            result = proposals.review(
                proposal_id=request.int_value, reviewer=request.user_id, verdict=Verdict.APPROVE
            )
        except DomainError as error:
            refuse(request, request.int_value, error)
            return
        if result.outcome is Outcome.UNCHANGED:
            # A double click or a second press: counted once, said once.
            updates.tell(
                request.channel_id, request.user_id, render.already_counted(result.proposal)
            )
            return
        updates.after_review(result)

    @app.action(Act.REJECT)
    def handle_reject(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        try:
            proposal = proposals.get(request.int_value)
        except DomainError as error:
            tell(request, str(error))
            return
        problem = refusal(
            proposal, request.user_id, services.permissions.is_editor(request.user_id)
        )
        if problem is not None:
            tell(request, str(problem))
            if not proposal.is_open:
                updates.sync_root(proposal)
            return
        modal = ModalContext(proposal.id, request.channel_id)
        client.views_open(trigger_id=request.trigger_id, view=modals.reject_modal(proposal, modal))

    @app.view(Views.REJECT)
    def handle_reject_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = str((body.get("user") or {}).get("id", ""))
        modal = ModalContext.load(str(view.get("private_metadata") or ""))
        if modal is None:
            ack(response_action="errors", errors={modals.REASON: modals.EXPIRED_FORM})
            return
        reason = modals.read_reason((view.get("state") or {}).get("values") or {})
        try:
            result = proposals.review(
                proposal_id=modal.subject_id, reviewer=user, verdict=Verdict.REJECT, comment=reason
            )
        except (RejectionNeedsReason, InvalidProposal) as error:
            ack(response_action="errors", errors={modals.REASON: str(error)})
            return
        except DomainError as error:
            # Nothing to fix in the form (closed meanwhile, no longer an editor): close it
            # and say why where the button was.
            ack()
            updates.tell(modal.channel_id, user, error_message(str(error)))
            if isinstance(error, ProposalClosed):
                updates.heal(modal.subject_id)
            return
        ack()
        updates.after_review(result)

    @app.action(Act.WITHDRAW)
    def handle_withdraw(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        try:
            proposal = proposals.withdraw(proposal_id=request.int_value, user=request.user_id)
        except DomainError as error:
            refuse(request, request.int_value, error)
            return
        updates.after_withdraw(proposal)

    @app.event("message")
    def handle_thread_message(
        event: dict[str, Any], body: dict[str, Any], context: BoltContext
    ) -> None:
        message = ThreadMessage.from_event(event)
        if message is None:
            return
        bot_user_id = context.bot_user_id
        # Ordinary conversation is dropped before it costs a database write.
        if parse_reply(message.text, bot_user_id=bot_user_id) is None:
            return
        # Slack redelivers an event it thinks we missed (X-Slack-Retry-Num); the claim on its
        # id makes a redelivery of a handled event a no-op, while a first delivery that never
        # reached us is still handled when its retry arrives.
        event_id = body.get("event_id")
        if event_id and not proposals.first_delivery(str(event_id)):
            log.info("event %s already handled; ignoring the redelivery", event_id)
            return
        try:
            result = proposals.review_reply(
                channel_id=message.channel_id,
                thread_ts=message.thread_ts,
                user=message.user,
                text=message.text,
                bot_user_id=bot_user_id,
            )
        except DomainError as error:
            updates.tell(
                message.channel_id,
                message.user,
                error_message(str(error)),
                thread_ts=message.thread_ts,
            )
            return
        if result is None or result.outcome is Outcome.UNCHANGED:
            return
        updates.after_review(result)
