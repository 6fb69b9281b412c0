"""Proposals in Slack: proposing (command, card button, modal), the root's review buttons,
thread replies, and *Post for review* of a root never posted; what Slack is told after
each commit lives in `slack.notify.proposals`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from promisebot.domain import DomainError, Outcome, ProposalClosed, RejectionNeedsReason, Verdict
from promisebot.services import Services
from promisebot.services.proposals import InvalidProposal
from promisebot.slack.acks import after_ack, run_after_ack
from promisebot.slack.blocks import proposal_modals as modals
from promisebot.slack.blocks import proposals as render
from promisebot.slack.blocks.common import Act, ModalContext, Views, field_errors
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation
from promisebot.slack.messenger import Messenger
from promisebot.slack.notify.proposals import ProposalNotifier
from promisebot.slack.requests import ActionRequest, ThreadMessage, ViewSubmission
from promisebot.slack.thread_replies import review_asked

log = logging.getLogger(__name__)

TOO_SLOW = "Slack closed the window for opening the form; please try again."
NOT_SAVED_FORM = "Your %s was not saved — please submit again."


def register(app: App, router: CommandRouter, services: Services, messenger: Messenger) -> None:
    proposals = services.proposals
    notifier = ProposalNotifier(proposals, services.settings, messenger)
    tz = services.settings.tz
    review_channel = services.settings.review_channel

    def ask_channel(bot_may_not_post_here: bool) -> bool:
        # Started where the bot cannot post, a root would fail: ask where to post instead.
        return bot_may_not_post_here and not review_channel

    def not_saved(
        user: str, what: str, *, channel: str | None, thread_ts: str | None = None
    ) -> None:
        """The action was acknowledged but could not be stored (the database stayed away
        past the retries): log it once, with its traceback, and tell the person."""
        log.exception("%s by %s not saved", what, user)
        messenger.tell(user, render.not_saved(what), channel=channel, thread_ts=thread_ts)

    def refuse(request: ActionRequest, proposal_id: int, error: DomainError) -> None:
        """Tell whoever pressed a root's button why not, in the root's channel; a proposal
        found closed also gets its root updated."""
        messenger.tell(request.user_id, error_message(str(error)), channel=request.channel_id)
        if isinstance(error, ProposalClosed):
            notifier.heal(proposal_id)

    # -- proposing ---------------------------------------------------------------------------

    def propose_command(invocation: Invocation) -> CommandReply:
        request = invocation.request
        if not invocation.args:
            return CommandReply(render.usage_message())
        promise = services.lookup.find_one(invocation.args)
        draft = proposals.draft(promise.id, request.user_id)
        modal = modals.propose_modal(
            draft,
            ModalContext(promise.id, request.channel_id or None),
            tz,
            ask_channel=ask_channel(request.bot_may_not_post_here),
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
    @after_ack
    def handle_propose_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        try:
            draft = proposals.draft(request.int_value, request.user_id)
        except DomainError as error:
            # Told where the card is: an ephemeral card answers through its response_url.
            messenger.tell(
                request.user_id,
                error_message(str(error)),
                channel=request.channel_id,
                thread_ts=request.thread_ts,
                response_url=request.response_url if request.is_ephemeral else None,
            )
            return
        modal = ModalContext(draft.promise_id, request.channel_id)
        view = modals.propose_modal(
            draft, modal, tz, ask_channel=ask_channel(request.bot_may_not_post_here)
        )
        client.views_open(trigger_id=request.trigger_id, view=view)

    @app.view(Views.PROPOSE)
    def handle_propose_submission(
        ack: Ack,
        body: dict[str, Any],
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        submitted = ViewSubmission.from_body(body)
        user = submitted.user_id
        modal = ModalContext.load(submitted.metadata)
        if modal is None:
            ack(response_action="errors", errors={modals.RATIONALE: modals.EXPIRED_FORM})
            return
        form = modals.read_propose_form(submitted.values)
        if form.errors or form.rating is None:
            ack(response_action="errors", errors=form.errors or {modals.RATING: "Pick one."})
            return
        try:
            proposal = proposals.propose(
                promise_id=modal.subject_id,
                user=user,
                to_rating=form.rating,
                rationale=form.rationale,
                links_text=form.links_text,
                effective_on=form.effective_on,
                origin_channel=form.channel or modal.channel_id,
            )
        except InvalidProposal as error:
            errors = field_errors(error.errors, modals.PROPOSE_FIELDS, modals.RATIONALE)
            ack(response_action="errors", errors=errors)
            return
        except DomainError as error:
            ack(response_action="errors", errors={modals.RATING: str(error)})
            return
        except Exception:
            # Answered in the modal, which stays open with the text typed: never a 5xx.
            log.exception("proposal by %s not saved", user)
            ack(response_action="errors", errors={modals.RATIONALE: NOT_SAVED_FORM % "proposal"})
            return
        ack()  # closes the modal; posting happens after
        run_after_ack(
            context,
            request,
            lambda: notifier.publish_new(proposal, origin_channel=modal.channel_id),
        )

    # -- reviewing ---------------------------------------------------------------------------

    @app.action(Act.APPROVE)
    @after_ack
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
        except Exception:
            not_saved(request.user_id, "approval", channel=request.channel_id)
            return
        if result.outcome is Outcome.UNCHANGED:
            # A double click or a second press: counted once, said once.
            messenger.tell(
                request.user_id, render.already_counted(result.proposal), channel=request.channel_id
            )
            return
        notifier.after_review(result)

    @app.action(Act.REJECT)
    @after_ack
    def handle_reject(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        # Checked before asking for a reason; the review on submission checks again.
        try:
            proposal = proposals.check_can_review(request.int_value, request.user_id)
        except DomainError as error:
            refuse(request, request.int_value, error)
            return
        modal = ModalContext(proposal.id, request.channel_id)
        client.views_open(trigger_id=request.trigger_id, view=modals.reject_modal(proposal, modal))

    @app.view(Views.REJECT)
    def handle_reject_submission(
        ack: Ack,
        body: dict[str, Any],
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        submitted = ViewSubmission.from_body(body)
        user = submitted.user_id
        modal = ModalContext.load(submitted.metadata)
        if modal is None:
            ack(response_action="errors", errors={modals.REASON: modals.EXPIRED_FORM})
            return
        reason = modals.read_reason(submitted.values)
        try:
            result = proposals.review(
                proposal_id=modal.subject_id, reviewer=user, verdict=Verdict.REJECT, comment=reason
            )
        except (RejectionNeedsReason, InvalidProposal) as error:
            ack(response_action="errors", errors={modals.REASON: str(error)})
            return
        except Exception:
            log.exception("rejection by %s not saved", user)
            ack(response_action="errors", errors={modals.REASON: NOT_SAVED_FORM % "rejection"})
            return
        except DomainError as error:
            # Nothing to fix in the form (closed meanwhile, no longer an editor): close it
            # and say why where the button was.
            ack()
            refusal, closed = error_message(str(error)), isinstance(error, ProposalClosed)

            def tell() -> None:
                messenger.tell(user, refusal, channel=modal.channel_id)
                if closed:
                    notifier.heal(modal.subject_id)

            run_after_ack(context, request, tell)
            return
        ack()
        run_after_ack(context, request, lambda: notifier.after_review(result))

    @app.action(Act.WITHDRAW)
    @after_ack
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
        except Exception:
            not_saved(request.user_id, "withdrawal", channel=request.channel_id)
            return
        if not proposal.message_ts:
            # Never posted: no root to show it, so the proposer hears it where they pressed.
            messenger.tell(
                request.user_id,
                render.withdrawn_unposted(proposal),
                channel=request.channel_id,
                response_url=request.response_url,
            )
            return
        notifier.after_withdraw(proposal)

    # -- a proposal whose root was never posted -----------------------------------------------

    @app.action(Act.POST_PROPOSAL)
    @after_ack
    def handle_post_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        request = ActionRequest.from_body(body)
        if request.int_value is None:
            return
        try:
            proposal = proposals.check_can_post(request.int_value, request.user_id)
        except DomainError as error:
            messenger.tell(
                request.user_id,
                error_message(str(error)),
                channel=request.channel_id,
                response_url=request.response_url,
            )
            return
        if not review_channel and not proposal.message_ts:
            modal = ModalContext(proposal.id, request.channel_id)
            last = proposals.last_channel(request.user_id)
            client.views_open(
                trigger_id=request.trigger_id, view=modals.post_modal(proposal, modal, last)
            )
            return
        attached = notifier.post_unposted(proposal.id)
        notifier.tell_proposer(
            proposal,
            attached,
            origin_channel=request.channel_id,
            response_url=request.response_url,
        )

    @app.view(Views.POST_PROPOSAL)
    def handle_post_submission(
        ack: Ack,
        body: dict[str, Any],
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        submitted = ViewSubmission.from_body(body)
        user = submitted.user_id
        modal = ModalContext.load(submitted.metadata)
        channel = modals.read_channel(submitted.values)
        if modal is None or channel is None:
            ack(response_action="errors", errors={modals.CHANNEL: modals.EXPIRED_FORM})
            return
        try:
            proposal = proposals.check_can_post(modal.subject_id, user)
        except DomainError as error:
            ack(response_action="errors", errors={modals.CHANNEL: str(error)})
            return
        ack()

        def post() -> None:
            attached = notifier.post_unposted(proposal.id, channel=channel)
            notifier.tell_proposer(proposal, attached, origin_channel=modal.channel_id)

        run_after_ack(context, request, post)

    @app.event("message")
    @after_ack
    def handle_thread_message(
        event: dict[str, Any], body: dict[str, Any], context: BoltContext
    ) -> None:
        message = ThreadMessage.from_event(event)
        if message is None:
            return
        # Ordinary conversation is dropped before it costs a database write.
        asked = review_asked(message, bot_user_id=context.bot_user_id)
        if asked is None:
            return
        # Slack redelivers an event it thinks we missed (X-Slack-Retry-Num); the review claims
        # the event id in its own transaction, so a redelivery of a handled event is a no-op
        # while a delivery whose review failed is handled when its retry arrives.
        event_id = body.get("event_id")
        try:
            result = proposals.review_reply(
                channel_id=message.channel_id,
                thread_ts=message.thread_ts,
                user=message.user,
                verdict=asked.verdict,
                reason=asked.reason,
                event_id=str(event_id) if event_id else None,
            )
        except DomainError as error:
            messenger.tell(
                message.user,
                error_message(str(error)),
                channel=message.channel_id,
                thread_ts=message.thread_ts,
            )
            return
        except Exception:
            what = "approval" if asked.verdict is Verdict.APPROVE else "rejection"
            not_saved(message.user, what, channel=message.channel_id, thread_ts=message.thread_ts)
            return
        if result is None or result.outcome is Outcome.UNCHANGED:
            return
        notifier.after_review(result)
