"""The message shortcuts: *Add as evidence* and *Propose rating change* on any message — the
modal opened at once, the message's permalink filled in after, and each submission."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk.errors import SlackApiError

from promisebot.domain import DomainError
from promisebot.services import Services
from promisebot.services.evidence import InvalidEvidence
from promisebot.services.proposals import InvalidProposal
from promisebot.slack.acks import after_ack, run_after_ack
from promisebot.slack.blocks import capture as render
from promisebot.slack.blocks import evidence as evidence_form
from promisebot.slack.blocks import proposal_modals
from promisebot.slack.blocks.common import Act, Message, Shortcuts, Views, field_errors
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.blocks.picker import PROMISE, picked_promise
from promisebot.slack.listeners.evidence import fetch_title_later
from promisebot.slack.messenger import Messenger
from promisebot.slack.notify.proposals import ProposalNotifier
from promisebot.slack.requests import ActionRequest, MessageShortcutRequest, ViewSubmission

log = logging.getLogger(__name__)

PICK_PROMISE = "Pick the promise: type words from its title, or its id."


def register(app: App, services: Services, messenger: Messenger) -> None:
    tz = services.settings.tz
    notifier = ProposalNotifier(services.proposals, services.settings, messenger)

    def refuse(request: MessageShortcutRequest, error: DomainError) -> None:
        messenger.tell(
            request.user_id,
            error_message(str(error)),
            channel=request.channel_id,
            thread_ts=request.thread_ts,
            response_url=request.response_url,
        )

    def capture_of(request: MessageShortcutRequest) -> render.CaptureContext:
        """The message's usable links, and the others with the reason they are not offered."""
        usable: list[str] = []
        refused: list[tuple[str, str]] = []
        for url in request.links:
            problem = services.evidence.link_problem(url)
            if problem:
                refused.append((url, problem))
            else:
                usable.append(url)
        return render.CaptureContext(
            request.channel_id,
            request.message_ts,
            request.thread_ts,
            tuple(usable[: render.LINKS_OFFERED]),
            refused=tuple(refused),
        )

    def open_modal(request: MessageShortcutRequest, view: dict[str, Any]) -> dict[str, Any] | None:
        try:
            opened = messenger.client.views_open(trigger_id=request.trigger_id, view=view)
        except SlackApiError as error:
            log.warning("shortcut modal not opened: %s", error.response.get("error"))
            return None
        found = opened.get("view")
        return found if isinstance(found, dict) else None

    def fill_in_permalink(
        request: MessageShortcutRequest,
        opened: dict[str, Any] | None,
        render_with: Callable[[render.CaptureContext], dict[str, Any]],
        capture: render.CaptureContext,
    ) -> None:
        """The permalink costs a Web API call, so it comes after the modal is open."""
        if opened is None or not (request.channel_id and request.message_ts):
            return
        permalink = messenger.permalink(request.channel_id, request.message_ts)
        if not permalink:
            return
        try:
            messenger.client.views_update(
                view_id=str(opened.get("id")),
                hash=opened.get("hash"),
                view=render_with(capture.with_permalink(permalink)),
            )
        except SlackApiError as error:
            # hash_conflict: the person was quicker (picked a promise); the form stays usable.
            log.info("permalink not filled in: %s", error.response.get("error"))

    def start_from_message(
        body: dict[str, Any],
        check: Callable[[str], None],
        title: str,
        form: Callable[[render.CaptureContext], dict[str, Any]],
    ) -> None:
        """Editors only (`check` asks the service), then the form at once: the trigger id
        works for 3 seconds, so the permalink is filled in after."""
        request = MessageShortcutRequest.from_body(body)
        try:
            check(request.user_id)
        except DomainError as error:
            refuse(request, error)
            return
        if not request.readable:
            open_modal(request, render.notice_modal(title, render.UNREADABLE))
            return
        capture = capture_of(request)
        opened = open_modal(request, form(capture))
        fill_in_permalink(request, opened, form, capture)

    def read_submission(
        ack: Ack, body: dict[str, Any], picker: str
    ) -> tuple[str, render.CaptureContext, dict[str, Any], int | None] | None:
        """Who submitted, the form's context, its values and the promise picked; None once
        an unreadable form has been answered."""
        submitted = ViewSubmission.from_body(body)
        capture = render.CaptureContext.load(submitted.metadata)
        if capture is None:
            ack(response_action="errors", errors={PROMISE: render.EXPIRED_FORM})
            return None
        values = submitted.values
        return submitted.user_id, capture, values, picked_promise(values, picker)

    # -- Add as evidence ---------------------------------------------------------------------

    @app.shortcut(Shortcuts.ADD_EVIDENCE)
    @after_ack
    def handle_evidence_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        start_from_message(
            body, services.evidence.check_may_add, "Add as evidence", render.evidence_capture_modal
        )

    @app.view(Views.CAPTURE_EVIDENCE)
    def handle_evidence_submission(
        ack: Ack,
        body: dict[str, Any],
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        submitted = read_submission(ack, body, Act.PICK_FOR_EVIDENCE)
        if submitted is None:
            return
        user, capture, values, promise_id = submitted
        form = evidence_form.read_evidence_form(values)
        errors = dict(form.errors)
        if promise_id is None:
            errors[PROMISE] = PICK_PROMISE
        if errors or promise_id is None:
            ack(response_action="errors", errors=errors)
            return
        try:
            added = services.evidence.add(
                promise_id=promise_id,
                url=render.read_link(values, capture),
                title=form.title,
                publisher=form.publisher,
                published_on=form.published_on,
                note=form.note,
                actor=user,
            )
        except InvalidEvidence as error:
            fields = (*evidence_form.FIELDS, PROMISE)
            ack(
                response_action="errors",
                errors=field_errors(error.errors, fields, evidence_form.URL),
            )
            return
        except DomainError as error:
            ack(response_action="errors", errors={PROMISE: str(error)})
            return
        ack()

        def confirm() -> None:
            reply_in_thread(user, capture, render.added_in_thread_message(added))
            fetch_title_later(services, added)

        run_after_ack(context, request, confirm)

    def reply_in_thread(user: str, capture: render.CaptureContext, message: Message) -> None:
        """Under the message the evidence came from; where the bot may not post, to the
        person who added it."""
        thread = capture.thread_ts or capture.message_ts
        if capture.channel_id and thread:
            try:
                messenger.post(capture.channel_id, message, thread_ts=thread)
                return
            except SlackApiError as error:
                log.info("thread reply refused: %s", error.response.get("error"))
        messenger.tell(user, message, channel=capture.channel_id)

    # -- Propose rating change -----------------------------------------------------------

    def proposal_modal(capture: render.CaptureContext) -> dict[str, Any]:
        return render.proposal_capture_modal(capture, tz)

    @app.shortcut(Shortcuts.PROPOSE)
    @after_ack
    def handle_propose_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        start_from_message(
            body, services.proposals.check_may_propose, "Propose a rating", proposal_modal
        )

    @app.action(Act.PICK_FOR_PROPOSAL)
    @after_ack
    def handle_proposal_pick(ack: Ack, body: dict[str, Any]) -> None:
        """A promise chosen: show its current rating and offer only the other ones."""
        ack()
        request = ActionRequest.from_body(body)
        view = body.get("view") or {}
        capture = render.CaptureContext.load(str(view.get("private_metadata") or ""))
        if request.int_value is None or capture is None or not request.view_id:
            return
        try:
            draft = services.proposals.draft(request.int_value, request.user_id)
        except DomainError as error:
            messenger.tell(request.user_id, error_message(str(error)), channel=capture.channel_id)
            return
        try:
            messenger.client.views_update(
                view_id=request.view_id,
                hash=view.get("hash"),
                view=render.proposal_capture_modal(capture, tz, draft),
            )
        except SlackApiError as error:
            log.info("proposal form not updated: %s", error.response.get("error"))

    @app.view(Views.CAPTURE_PROPOSAL)
    def handle_proposal_submission(
        ack: Ack,
        body: dict[str, Any],
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        submitted = read_submission(ack, body, Act.PICK_FOR_PROPOSAL)
        if submitted is None:
            return
        user, capture, values, promise_id = submitted
        form = proposal_modals.read_propose_form(values)
        errors = dict(form.errors)
        if promise_id is None:
            errors[PROMISE] = PICK_PROMISE
        if errors or promise_id is None or form.rating is None:
            ack(response_action="errors", errors=errors or {proposal_modals.RATING: "Pick one."})
            return
        try:
            proposal = services.proposals.propose(
                promise_id=promise_id,
                user=user,
                to_rating=form.rating,
                rationale=form.rationale,
                links_text=form.links_text,
                effective_on=form.effective_on,
                origin_channel=capture.channel_id,
            )
        except InvalidProposal as error:
            fields = (*proposal_modals.PROPOSE_FIELDS, PROMISE)
            errors = field_errors(error.errors, fields, proposal_modals.RATIONALE)
            ack(response_action="errors", errors=errors)
            return
        except DomainError as error:
            ack(response_action="errors", errors={PROMISE: str(error)})
            return
        ack()
        run_after_ack(
            context,
            request,
            lambda: notifier.publish_new(proposal, origin_channel=capture.channel_id),
        )
