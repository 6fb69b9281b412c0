"""Evidence: `/promise evidence <id> <url> [note]`, the *Add evidence* button and its modal,
and the page-title fetch that runs after the ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient

from promisebot.domain import DomainError
from promisebot.services import Services
from promisebot.services.evidence import EvidenceAdded, EvidenceAlreadyListed, InvalidEvidence
from promisebot.slack.acks import after_ack, run_after_ack
from promisebot.slack.blocks import evidence as render
from promisebot.slack.blocks.common import Act, ModalContext, Views
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation
from promisebot.slack.messenger import Messenger
from promisebot.slack.requests import ActionRequest, ViewSubmission

log = logging.getLogger(__name__)

EXPIRED_FORM = "This form has expired. Close it and press *Add evidence* on the card again."
NOT_SAVED_FORM = "Your evidence was not saved — please submit again."


def parse_evidence_args(args: str) -> tuple[str, str, str]:
    """`<id> <url> [note]` → (id, url, note); the text arrives as typed (`CommandRequest`)."""
    words = args.split(maxsplit=1)
    if len(words) < 2:
        raise DomainError(render.USAGE)
    query, rest = words
    url, *more = rest.split(maxsplit=1)
    return query, url.strip(), more[0].strip() if more else ""


def fetch_title_later(services: Services, added: EvidenceAdded) -> None:
    """Fill in the page's title when none was given; never surfaces an error (a title is a
    nicety, and the user has already been told the evidence is saved)."""
    fetcher = services.link_titles
    if fetcher is None or not added.needs_title:
        return
    try:
        title = fetcher.fetch_title(added.url)
        saved = bool(title) and services.evidence.set_title(added.evidence_id, title or "")
    except Exception:
        log.warning("evidence %d: could not save the page title", added.evidence_id, exc_info=True)
        return
    log.info("evidence %d: page title %s", added.evidence_id, "saved" if saved else "not found")


def register(app: App, router: CommandRouter, services: Services, messenger: Messenger) -> None:
    def fetching(added: EvidenceAdded) -> bool:
        return added.needs_title and services.link_titles is not None

    def evidence_command(invocation: Invocation) -> CommandReply:
        query, url, note = parse_evidence_args(invocation.args)
        promise = services.lookup.find_one(query)
        try:
            added = services.evidence.add(
                promise_id=promise.id, url=url, note=note, actor=invocation.request.user_id
            )
        except InvalidEvidence as error:
            if "url" in error.errors and not isinstance(error, EvidenceAlreadyListed):
                raise DomainError(f"{error} {render.USAGE}") from error
            raise
        return CommandReply(
            render.evidence_added_message(added, fetching_title=fetching(added)),
            after=lambda: fetch_title_later(services, added),
        )

    router.add("evidence", evidence_command)

    @app.action(Act.ADD_EVIDENCE)
    @after_ack
    def handle_add_evidence(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        # A trigger_id works once and for 3 s: ack, read the card, open the modal at once.
        ack()
        request = ActionRequest.from_body(body)
        try:
            services.evidence.check_may_add(request.user_id)
            if request.int_value is None:
                return
            card = services.lookup.card(request.int_value)
        except DomainError as error:
            messenger.tell(
                request.user_id,
                error_message(str(error)),
                channel=request.channel_id,
                response_url=request.response_url,
            )
            return
        modal = ModalContext(card.id, request.channel_id)
        client.views_open(trigger_id=request.trigger_id, view=render.evidence_modal(card, modal))

    @app.view(Views.EVIDENCE)
    def handle_evidence_submission(
        ack: Ack,
        body: dict[str, Any],
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        submitted = ViewSubmission.from_body(body)
        user = submitted.user_id
        modal = ModalContext.load(submitted.metadata)
        if modal is None:
            ack(response_action="errors", errors={render.URL: EXPIRED_FORM})
            return
        form = render.read_evidence_form(submitted.values)
        if form.errors:
            ack(response_action="errors", errors=form.errors)
            return
        try:
            added = services.evidence.add(
                promise_id=modal.subject_id,
                url=form.url,
                title=form.title,
                publisher=form.publisher,
                published_on=form.published_on,
                note=form.note,
                actor=user,
            )
        except InvalidEvidence as error:
            ack(response_action="errors", errors=_field_errors(error))
            return
        except DomainError as error:
            ack(response_action="errors", errors={render.URL: str(error)})
            return
        except Exception:
            # Answered in the modal, which stays open with what was typed: never a 5xx.
            log.exception("evidence by %s not saved", user)
            ack(response_action="errors", errors={render.URL: NOT_SAVED_FORM})
            return
        ack()

        def tell_and_fetch() -> None:
            message = render.evidence_added_message(added, fetching_title=fetching(added))
            # The modal has closed: ephemeral in the card's channel, else (e.g. the bot is not
            # in the channel) a DM, so the user still hears back.
            messenger.tell(user, message, channel=modal.channel_id)
            fetch_title_later(services, added)

        run_after_ack(context, request, tell_and_fetch)


def _field_errors(error: InvalidEvidence) -> dict[str, str]:
    """Each message beside its input; anything without an input goes beside the link."""
    errors: dict[str, str] = {}
    for field, message in error.errors.items():
        block = field if field in render.FIELDS else render.URL
        errors[block] = f"{errors[block]} {message}" if block in errors else message
    return errors
