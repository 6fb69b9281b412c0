"""Rendering for evidence: the *Add evidence* modal, reading its submitted state, and the
confirmation and usage messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from promisebot.domain import NOTE_MAX, PUBLISHER_MAX, TITLE_MAX, URL_MAX
from promisebot.services.evidence import EvidenceAdded
from promisebot.services.lookup import PromiseCard
from promisebot.slack.blocks.common import (
    Block,
    Message,
    ModalContext,
    Views,
    context,
    escape,
    link,
    plain_text,
    section,
    text_input,
    truncate,
)

# The modal's block ids are the service's field names, so `InvalidEvidence.errors` maps
# straight onto the inputs.
URL, TITLE, PUBLISHER, PUBLISHED_ON, NOTE = "url", "title", "publisher", "published_on", "note"
FIELDS = (URL, TITLE, PUBLISHER, PUBLISHED_ON, NOTE)

USAGE = (
    "Usage: `/promise evidence <id> <url> [note]`, e.g. "
    "`/promise evidence police-liability https://example.com/bill-filed Bill filed in the House`."
)


def action_id(field: str) -> str:
    return f"evidence.{field}"


@dataclass(frozen=True, slots=True)
class EvidenceForm:
    url: str
    title: str
    publisher: str
    published_on: date | None
    note: str
    errors: dict[str, str]  # problems reading the form itself (block id → message)


def evidence_modal(card: PromiseCard, modal: ModalContext) -> dict[str, Any]:
    blocks: list[Block] = [
        section(f"*{escape(truncate(card.title, 200))}*"),
        context(
            f"`{escape(card.tracker)}/{escape(card.external_id)}` · "
            f"{card.rating.emoji} {card.rating.label}"
        ),
        text_input(
            URL,
            action_id(URL),
            "Link",
            placeholder="https://…",
            max_length=URL_MAX,
            hint="The article, document or record; http or https.",
        ),
        *detail_inputs(),
    ]
    return {
        "type": "modal",
        "callback_id": Views.EVIDENCE,
        "private_metadata": modal.dump(),
        "title": plain_text("Add evidence", 24),
        "submit": plain_text("Add", 24),
        "close": plain_text("Cancel", 24),
        "blocks": blocks,
    }


def detail_inputs(note: str = "") -> list[Block]:
    """Title, publisher, publication date and note: the inputs every evidence form has."""
    note_input = text_input(
        NOTE, action_id(NOTE), "Note", optional=True, multiline=True, max_length=NOTE_MAX
    )
    if note:
        note_input["element"]["initial_value"] = note[:NOTE_MAX]
    return [
        text_input(
            TITLE,
            action_id(TITLE),
            "Title",
            optional=True,
            max_length=TITLE_MAX,
            hint="Leave empty to use the page's own title.",
        ),
        text_input(
            PUBLISHER, action_id(PUBLISHER), "Publisher", optional=True, max_length=PUBLISHER_MAX
        ),
        {
            "type": "input",
            "block_id": PUBLISHED_ON,
            "optional": True,
            "label": plain_text("Published on"),
            "element": {"type": "datepicker", "action_id": action_id(PUBLISHED_ON)},
        },
        note_input,
    ]


def read_evidence_form(values: dict[str, Any]) -> EvidenceForm:
    """The submitted `view.state.values`; missing fields read as empty."""

    def value(field: str) -> dict[str, Any]:
        found = (values.get(field) or {}).get(action_id(field))
        return found if isinstance(found, dict) else {}

    def text(field: str) -> str:
        return str(value(field).get("value") or "").strip()

    errors: dict[str, str] = {}
    published_on: date | None = None
    picked = value(PUBLISHED_ON).get("selected_date")
    if picked:
        try:
            published_on = date.fromisoformat(str(picked))
        except ValueError:
            errors[PUBLISHED_ON] = "Pick the date from the calendar."
    return EvidenceForm(
        url=text(URL),
        title=text(TITLE),
        publisher=text(PUBLISHER),
        published_on=published_on,
        note=text(NOTE),
        errors=errors,
    )


def evidence_added_message(added: EvidenceAdded, *, fetching_title: bool) -> Message:
    shown = link(added.url, truncate(added.title or added.url, 150))
    text = (
        f":white_check_mark: Added evidence to *{escape(truncate(added.promise_title, 200))}* "
        f"(`{escape(added.promise_external_id)}`): {shown}"
    )
    blocks: list[Block] = [section(text)]
    if fetching_title:
        blocks.append(context("The page's title will be filled in if it has one."))
    return Message(f"Added evidence to {escape(added.promise_external_id)}", blocks)
