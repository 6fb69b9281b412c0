"""The typeahead promise picker (an `external_select` fed by the options listener), the
options it is offered, and the *Look up a promise* modal built around it."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from promisebot.services.lookup import PromiseCard, PromiseChoice
from promisebot.slack.blocks.common import (
    Act,
    Block,
    Views,
    actions,
    context,
    plain_text,
    section,
    truncate,
)
from promisebot.slack.blocks.lookup import card_message

# Slack's limits for an options response.
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
PROMISE = "promise"  # the picker's block id in every modal
CHANNEL = "channel"
LOOK_UP_MODAL_TITLE = "Look up a promise"


def option_label(choice: PromiseChoice) -> str:
    """`Title (tracker/id)`: the title gives way first, so equal titles stay distinguishable."""
    path = f"{choice.tracker}/{choice.external_id}"
    room = MAX_OPTION_TEXT - len(path) - 3
    if room < 10:
        return truncate(f"{path} {choice.title}", MAX_OPTION_TEXT)
    return f"{truncate(choice.title, room)} ({path})"


def promise_options(choices: tuple[PromiseChoice, ...]) -> list[Block]:
    return [
        {"text": plain_text(option_label(choice), MAX_OPTION_TEXT), "value": str(choice.id)}
        for choice in choices[:MAX_OPTIONS]
    ]


def picker_element(action_id: str, initial: PromiseChoice | None = None) -> Block:
    element: Block = {
        "type": "external_select",
        "action_id": action_id,
        "placeholder": plain_text("Type words from the promise, or its id", 150),
        "min_query_length": 1,
    }
    if initial is not None:
        element["initial_option"] = promise_options((initial,))[0]
    return element


def picker_input(action_id: str, *, dispatch: bool = False) -> Block:
    """The picker as a modal input; with `dispatch`, choosing sends a block action at once."""
    block: Block = {
        "type": "input",
        "block_id": PROMISE,
        "label": plain_text("Promise"),
        "element": picker_element(action_id),
    }
    if dispatch:
        block["dispatch_action"] = True
    return block


def picked_promise(values: dict[str, Any], action_id: str) -> int | None:
    """The promise chosen in a submitted picker (`view.state.values`), if any."""
    state = (values.get(PROMISE) or {}).get(action_id) or {}
    value = str((state.get("selected_option") or {}).get("value") or "")
    return int(value) if value.isdigit() else None


def look_up_modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": Views.LOOK_UP,
        "title": plain_text(LOOK_UP_MODAL_TITLE, 24),
        "close": plain_text("Close", 24),
        "blocks": [
            section("Find a promise by words from its title, or by its id."),
            actions(picker_element(Act.PICK_TO_LOOK_UP), block_id=PROMISE),
        ],
    }


def look_up_card_modal(card: PromiseCard, tz: ZoneInfo) -> dict[str, Any]:
    """The chosen promise's card in the modal, and a channel to share it in."""
    message = card_message(card, tz)
    card_blocks = [block for block in message.blocks if block.get("block_id") != f"card:{card.id}"]
    blocks: list[Block] = [
        actions(picker_element(Act.PICK_TO_LOOK_UP), block_id=PROMISE),
        *card_blocks[:90],
        {
            "type": "input",
            "block_id": CHANNEL,
            "label": plain_text("Share in channel"),
            "element": {
                "type": "conversations_select",
                "action_id": CHANNEL,
                "placeholder": plain_text("Pick a channel", 150),
                "default_to_current_conversation": True,
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            },
        },
        context("The card is posted as it stands now, with your name on it."),
    ]
    return {
        "type": "modal",
        "callback_id": Views.LOOK_UP,
        "private_metadata": str(card.id),
        "title": plain_text(LOOK_UP_MODAL_TITLE, 24),
        "submit": plain_text("Share", 24),
        "close": plain_text("Close", 24),
        "blocks": blocks,
    }


def shared_channel(values: dict[str, Any]) -> str | None:
    state = (values.get(CHANNEL) or {}).get(CHANNEL) or {}
    found = state.get("selected_conversation")
    return str(found) if found else None
