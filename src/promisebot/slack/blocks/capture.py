"""The message shortcuts' modals: *Add as evidence* and *Propose rating change* started from
a message, what they carry in `private_metadata`, and the reply in the message's thread."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from promisebot.domain import URL_MAX, Rating
from promisebot.services.evidence import EvidenceAdded
from promisebot.services.proposals import ProposalDraft
from promisebot.slack.blocks import evidence as evidence_form
from promisebot.slack.blocks import proposal_modals
from promisebot.slack.blocks.common import (
    Act,
    Block,
    Message,
    Views,
    context,
    escape,
    format_day,
    link,
    plain_text,
    plural,
    section,
    text_input,
    truncate,
)
from promisebot.slack.blocks.picker import picker_input

# Slack caps private_metadata at 3000 characters; the links that do not fit are dropped.
METADATA_MAX = 3000
LINKS_OFFERED = 10
LINK_LABEL_MAX = 75
PLACEHOLDER_MAX = 150
EXPIRED_FORM = "This form has expired. Close it and use the shortcut on the message again."
UNREADABLE = (
    "Slack didn't send me this message's text, so I can't see its links. This happens in "
    "channels I'm not in and with some messages from other apps. Invite me to the channel "
    "and try again, or use `/promise evidence <id> <url>`."
)
NO_LINK = "This message has no link in it. Paste the link to the evidence below."
NO_LINK_TO_PROPOSE = "This message has no link in it; add evidence links below if you have any."


@dataclass(frozen=True, slots=True)
class CaptureContext:
    """Where the shortcut was used (to reply in the message's thread) and the links on offer;
    `permalink` arrives a moment after the modal opens."""

    channel_id: str | None
    message_ts: str | None
    thread_ts: str | None
    links: tuple[str, ...] = ()
    permalink: str = ""
    refused: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # not stored

    def dump(self) -> str:
        data: dict[str, Any] = {
            "channel": self.channel_id,
            "ts": self.message_ts,
            "thread": self.thread_ts,
            "permalink": self.permalink,
            "links": [],
        }
        for url in self.links:
            data["links"].append(url)
            if len(json.dumps(data)) > METADATA_MAX:
                data["links"].pop()
                break
        return json.dumps(data)

    @classmethod
    def load(cls, text: str) -> CaptureContext | None:
        try:
            data = json.loads(text)
            links = tuple(str(url) for url in data.get("links") or [])
            return cls(
                data.get("channel") or None,
                data.get("ts") or None,
                data.get("thread") or None,
                links,
                str(data.get("permalink") or ""),
            )
        except (ValueError, TypeError, AttributeError):
            return None

    def with_permalink(self, permalink: str) -> CaptureContext:
        return replace(self, permalink=permalink)


def _refused_block(refused: Sequence[tuple[str, str]]) -> list[Block]:
    if not refused:
        return []
    lines = [f"• {escape(truncate(url, 120))}: {escape(reason)}" for url, reason in refused[:5]]
    return [context("*Not offered:*\n" + "\n".join(lines))]


def _link_option(index: int, url: str) -> Block:
    return {"text": plain_text(truncate(url, LINK_LABEL_MAX), LINK_LABEL_MAX), "value": str(index)}


def _link_input(links: Sequence[str]) -> list[Block]:
    """One link: shown and preselected; several: pick one; none: paste one."""
    if not links:
        return [
            section(f":information_source: {NO_LINK}"),
            text_input(
                evidence_form.URL,
                evidence_form.action_id(evidence_form.URL),
                "Link",
                placeholder="https://…",
                max_length=URL_MAX,
            ),
        ]
    options = [_link_option(index, url) for index, url in enumerate(links[:LINKS_OFFERED])]
    return [
        {
            "type": "input",
            "block_id": evidence_form.URL,
            "label": plain_text("Link" if len(links) == 1 else f"Link ({len(options)} found)"),
            "element": {
                "type": "static_select",
                "action_id": evidence_form.action_id(evidence_form.URL),
                "options": options,
                "initial_option": options[0],
            },
        }
    ]


def evidence_capture_modal(capture: CaptureContext) -> dict[str, Any]:
    links = capture.links
    note = f"From {capture.permalink}" if capture.permalink else ""
    blocks: list[Block] = [
        picker_input(Act.PICK_FOR_EVIDENCE),
        *_link_input(links),
        *_refused_block(capture.refused),
        *evidence_form.detail_inputs(note=note),
    ]
    return {
        "type": "modal",
        "callback_id": Views.CAPTURE_EVIDENCE,
        "private_metadata": capture.dump(),
        "title": plain_text("Add as evidence", 24),
        "submit": plain_text("Add", 24),
        "close": plain_text("Cancel", 24),
        "blocks": blocks,
    }


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only explains (no submit): nothing to fill in that could not be sent."""
    return {
        "type": "modal",
        "title": plain_text(title, 24),
        "close": plain_text("Close", 24),
        "blocks": [section(f":warning: {escape(text)}")],
    }


def read_link(values: dict[str, Any], capture: CaptureContext) -> str:
    """The link chosen among the message's, or the one pasted when it had none."""
    state = (values.get(evidence_form.URL) or {}).get(evidence_form.action_id(evidence_form.URL))
    state = state if isinstance(state, dict) else {}
    chosen = str((state.get("selected_option") or {}).get("value") or "")
    if chosen.isdigit() and int(chosen) < len(capture.links):
        return capture.links[int(chosen)]
    return str(state.get("value") or "").strip()


def rationale_placeholder(permalink: str) -> str:
    """The message's permalink as the rationale's hint, whole or not at all."""
    for text in (f"Why the rating should change; see {permalink}", permalink):
        if permalink and len(text) <= PLACEHOLDER_MAX:
            return text
    return ""


def proposal_capture_modal(
    capture: CaptureContext, tz: ZoneInfo, draft: ProposalDraft | None = None
) -> dict[str, Any]:
    """The propose form with the picker; once a promise is chosen (`draft`), its current
    rating is shown and left out of the choices."""
    blocks: list[Block] = [picker_input(Act.PICK_FOR_PROPOSAL, dispatch=True)]
    if draft is not None:
        current = draft.current_rating
        blocks.append(
            context(
                f"`{escape(draft.tracker_slug)}/{escape(draft.external_id)}` · now "
                f"{current.emoji} *{current.label}* since {format_day(draft.rated_at, tz)}"
                + (
                    f" · :hourglass_flowing_sand: {plural(draft.open_proposals, 'open proposal')}"
                    if draft.open_proposals
                    else ""
                )
            )
        )
    if not capture.links:
        blocks.append(context(f":information_source: {NO_LINK_TO_PROPOSE}"))
    blocks += _refused_block(capture.refused)
    blocks += proposal_modals.propose_inputs(
        draft.choices if draft else tuple(Rating),
        tz,
        rated_at=draft.rated_at if draft else None,
        links=capture.links,
        rationale_placeholder=rationale_placeholder(capture.permalink),
    )
    if draft is not None:
        blocks.append(
            context(f"Needs {plural(draft.approvals_required, 'approval')} from other editors.")
        )
    return {
        "type": "modal",
        "callback_id": Views.CAPTURE_PROPOSAL,
        "private_metadata": capture.dump(),
        "title": plain_text("Propose a rating", 24),
        "submit": plain_text("Propose", 24),
        "close": plain_text("Cancel", 24),
        "blocks": blocks,
    }


def added_in_thread_message(added: EvidenceAdded) -> Message:
    """The reply under the message the evidence came from."""
    shown = link(added.url, truncate(added.title or added.url, 150))
    text = (
        f"Added as evidence to *{escape(truncate(added.promise_title, 200))}* "
        f"(`{escape(added.promise_external_id)}`): {shown}"
    )
    return Message(
        f"Added as evidence to {escape(truncate(added.promise_title, 200))}",
        [section(f":white_check_mark: {text}")],
    )
