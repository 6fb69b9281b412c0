"""Builders for what Slack sends back about input elements: modal `state.values` dicts,
and finding the block that holds an action."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

StateValue = str | date | dict[str, Any] | None


def selected(value: str, text: str | None = None) -> dict[str, Any]:
    """A static_select choice: `state_values(rating=selected("broken"))`."""
    option = {"text": {"type": "plain_text", "text": text or value}, "value": value}
    return {"type": "static_select", "selected_option": option}


def _element_state(value: StateValue) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, date):
        return {"type": "datepicker", "selected_date": value.isoformat()}
    return {"type": "plain_text_input", "value": value}


def state_values(
    fields: Mapping[str | tuple[str, str], StateValue] | None = None, /, **kwargs: StateValue
) -> dict[str, dict[str, dict[str, Any]]]:
    """`{block_id: {action_id: {type, value | selected_option | selected_date}}}`.

    A key names both the block and the action (`rationale="..."`), or, in the positional
    mapping, a `(block_id, action_id)` pair. A value is text for a plain_text_input
    (None = left empty), a `date` for a datepicker, or a ready element-state dict:

        state_values(rationale="Bill signed", rating=selected("kept"))
        # {"rationale": {"rationale": {"type": "plain_text_input", "value": "Bill signed"}},
        #  "rating": {"rating": {"type": "static_select",
        #                        "selected_option": {"text": {...}, "value": "kept"}}}}
        state_values({("effective", "proposal.effective_on"): date(2024, 5, 1)})
        # {"effective": {"proposal.effective_on": {"type": "datepicker",
        #                                          "selected_date": "2024-05-01"}}}
    """
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for key, value in [*(fields or {}).items(), *kwargs.items()]:
        block_id, action_id = key if isinstance(key, tuple) else (key, key)
        values.setdefault(block_id, {})[action_id] = _element_state(value)
    return values


def _elements(block: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = list(block.get("elements") or [])
    for key in ("accessory", "element"):
        if isinstance(block.get(key), Mapping):
            found.append(block[key])
    return [e for e in found if isinstance(e, Mapping)]


def find_block_id(blocks: Any, action_id: str) -> str | None:
    """The `block_id` of the block whose element has `action_id`, as Slack reports it."""
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, Mapping) and any(
            e.get("action_id") == action_id for e in _elements(block)
        ):
            return str(block.get("block_id", "")) or None
    return None
