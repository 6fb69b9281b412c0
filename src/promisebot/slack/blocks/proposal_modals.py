"""The proposal modals: *Propose a rating* (from the card or `/promise propose`) and the
reason asked for a rejection, with what they carry in `private_metadata` and reading their
submitted state back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from promisebot.domain import COMMENT_MAX, RATIONALE_MAX, Rating
from promisebot.services.proposals import ProposalDraft, ProposalView
from promisebot.slack.blocks.common import (
    Block,
    ModalContext,
    Views,
    context,
    escape,
    format_day,
    plain_text,
    plural,
    section,
    text_input,
    truncate,
)
from promisebot.slack.blocks.proposals import change_line

# The propose modal's block ids are the service's field names, so `InvalidProposal.errors`
# maps straight onto the inputs; the reject modal has one input.
RATING, RATIONALE, LINKS, EFFECTIVE_ON = "rating", "rationale", "links", "effective_on"
PROPOSE_FIELDS = (RATING, RATIONALE, LINKS, EFFECTIVE_ON)
# Asked only when the bot may not post where the proposal was started and no review
# channel is set.
CHANNEL = "post_channel"
REASON = "reason"
# Slack caps a plain_text_input at 3000 characters.
LINKS_INPUT_MAX = 3000
EXPIRED_FORM = "This form has expired. Close it and start again from the promise's card."


def field_action(field: str) -> str:
    """Action ids of modal inputs; a prefix of their own so no button handler matches them."""
    return f"proposal_form.{field}"


@dataclass(frozen=True, slots=True)
class ProposeForm:
    rating: Rating | None
    rationale: str
    links_text: str
    effective_on: date | None
    errors: dict[str, str]  # problems reading the form itself (block id → message)
    channel: str | None = None  # the channel picked to post the proposal in, if asked


def channel_input(last_channel: str | None) -> Block:
    """Where to post for review; defaults to the channel the proposer used last."""
    element: Block = {
        "type": "conversations_select",
        "action_id": field_action(CHANNEL),
        "placeholder": plain_text("Pick a channel", 150),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if last_channel:
        element["initial_conversation"] = last_channel
    return {
        "type": "input",
        "block_id": CHANNEL,
        "label": plain_text("Post for review in"),
        "hint": plain_text(
            "The bot cannot post where you are; pick a channel it is in "
            "(a private channel needs /invite @promisebot first)."
        ),
        "element": element,
    }


def propose_modal(
    draft: ProposalDraft, modal: ModalContext, tz: ZoneInfo, *, ask_channel: bool = False
) -> dict[str, Any]:
    current = draft.current_rating
    blocks: list[Block] = [
        section(f"*{escape(truncate(draft.title, 200))}*"),
        context(
            f"`{escape(draft.tracker_slug)}/{escape(draft.external_id)}` · now "
            f"{current.emoji} *{current.label}* since {format_day(draft.rated_at, tz)}"
        ),
    ]
    if draft.open_proposals:
        blocks.append(
            context(
                f":hourglass_flowing_sand: {plural(draft.open_proposals, 'open proposal')} "
                "on this promise already; the first one approved makes the others stale."
            )
        )
    blocks += [
        {
            "type": "input",
            "block_id": RATING,
            "label": plain_text("New rating"),
            "element": {
                "type": "static_select",
                "action_id": field_action(RATING),
                "placeholder": plain_text("Pick a rating", 150),
                "options": [_rating_option(rating) for rating in draft.choices],
            },
        },
        text_input(
            RATIONALE,
            field_action(RATIONALE),
            "Rationale",
            multiline=True,
            max_length=RATIONALE_MAX,
            hint="Why the rating should change; the reviewers and the history will show it.",
        ),
        text_input(
            LINKS,
            field_action(LINKS),
            "Evidence links",
            optional=True,
            multiline=True,
            max_length=LINKS_INPUT_MAX,
            placeholder="https://…",
            hint="One http(s) link per line; added to the promise's evidence when approved.",
        ),
        {
            "type": "input",
            "block_id": EFFECTIVE_ON,
            "optional": True,
            "label": plain_text("Effective date"),
            "hint": plain_text(
                f"Leave empty for the day it is approved; not before "
                f"{format_day(draft.rated_at, tz)}."
            ),
            "element": {"type": "datepicker", "action_id": field_action(EFFECTIVE_ON)},
        },
        context(_approvals_needed(draft)),
    ]
    if ask_channel:
        blocks.insert(-1, channel_input(draft.last_channel))
    return {
        "type": "modal",
        "callback_id": Views.PROPOSE,
        "private_metadata": modal.dump(),
        "title": plain_text("Propose a rating", 24),
        "submit": plain_text("Propose", 24),
        "close": plain_text("Cancel", 24),
        "blocks": blocks,
    }


def _approvals_needed(draft: ProposalDraft) -> str:
    needed = f"Needs {plural(draft.approvals_required, 'approval')} from other editors."
    if not draft.senior_required_for:
        return needed
    ratings = " or ".join(rating.label for rating in draft.senior_required_for)
    return f"{needed} A change to {ratings} needs one of them from a senior editor."


def _rating_option(rating: Rating) -> Block:
    return {
        "text": plain_text(f"{rating.label}", 75),
        "value": rating.value,
        "description": plain_text(rating.definition, 75),
    }


def _state(values: dict[str, Any], field: str) -> dict[str, Any]:
    found = (values.get(field) or {}).get(field_action(field))
    return found if isinstance(found, dict) else {}


def read_propose_form(values: dict[str, Any]) -> ProposeForm:
    """The submitted `view.state.values`; missing fields read as empty."""
    errors: dict[str, str] = {}
    rating: Rating | None = None
    option = _state(values, RATING).get("selected_option") or {}
    try:
        rating = Rating(str(option.get("value", "")))
    except ValueError:
        errors[RATING] = "Pick the new rating."
    effective_on: date | None = None
    picked = _state(values, EFFECTIVE_ON).get("selected_date")
    if picked:
        try:
            effective_on = date.fromisoformat(str(picked))
        except ValueError:
            errors[EFFECTIVE_ON] = "Pick the date from the calendar."
    return ProposeForm(
        rating=rating,
        rationale=str(_state(values, RATIONALE).get("value") or ""),
        links_text=str(_state(values, LINKS).get("value") or ""),
        effective_on=effective_on,
        errors=errors,
        channel=read_channel(values),
    )


def read_channel(values: dict[str, Any]) -> str | None:
    picked = _state(values, CHANNEL).get("selected_conversation")
    return str(picked) if picked else None


def post_modal(
    proposal: ProposalView, modal: ModalContext, last_channel: str | None
) -> dict[str, Any]:
    """*Post for review* of a proposal whose root could not be posted: where to post it."""
    return {
        "type": "modal",
        "callback_id": Views.POST_PROPOSAL,
        "private_metadata": modal.dump(),
        "title": plain_text("Post for review", 24),
        "submit": plain_text("Post", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(f"*{escape(truncate(proposal.promise_title, 200))}*\n{change_line(proposal)}"),
            channel_input(last_channel),
        ],
    }


def reject_modal(proposal: ProposalView, modal: ModalContext) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": Views.REJECT,
        "private_metadata": modal.dump(),
        "title": plain_text("Reject proposal", 24),
        "submit": plain_text("Reject", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(
                f"*{escape(truncate(proposal.promise_title, 200))}*\n"
                f"{change_line(proposal)} · proposed by <@{escape(proposal.proposed_by)}>"
            ),
            text_input(
                REASON,
                field_action(REASON),
                "Reason",
                multiline=True,
                max_length=COMMENT_MAX,
                hint="Shown in the proposal's thread; the proposal closes.",
            ),
        ],
    }


def read_reason(values: dict[str, Any]) -> str:
    return str(_state(values, REASON).get("value") or "")
