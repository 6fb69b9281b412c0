"""Block Kit rendered as readable terminal text, numbering every button so it can be pressed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9_]+)>")


@dataclass(frozen=True, slots=True)
class Button:
    """A pressable element, with where it was shown (to build the block_actions payload)."""

    label: str
    action_id: str
    value: str
    channel: str | None
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    is_ephemeral: bool = False
    options: tuple[tuple[str, str], ...] = ()  # for selects: (label, value)
    kind: str = "button"


@dataclass
class Rendering:
    lines: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)


def readable(mrkdwn: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", mrkdwn)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = _MENTION.sub(lambda m: f"@{m.group(1)}", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return readable(str(obj.get("text", "")))
    return ""


def render_blocks(
    blocks: list[dict[str, Any]],
    rendering: Rendering,
    *,
    channel: str | None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    is_ephemeral: bool = False,
    indent: str = "  ",
) -> None:
    def add_element(element: dict[str, Any]) -> str:
        kind = element.get("type", "")
        if kind == "button" and element.get("url") and not element.get("action_id"):
            return f"[link: {element['url']}]"
        options: tuple[tuple[str, str], ...] = ()
        if kind in ("static_select", "overflow"):
            options = tuple(
                (_text(option.get("text")), str(option.get("value", "")))
                for option in element.get("options", [])
            )
        if kind not in ("button", "static_select", "overflow"):
            return ""
        label = _text(element.get("text") or element.get("placeholder")) or "…"
        rendering.buttons.append(
            Button(
                label,
                str(element.get("action_id", "")),
                str(element.get("value", "")),
                channel,
                message,
                view,
                is_ephemeral,
                options,
                kind,
            )
        )
        return f"[{len(rendering.buttons)}] {label}"

    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            rendering.lines.append(f"{indent}== {_text(block.get('text'))} ==")
        elif kind == "section":
            for line in _text(block.get("text")).splitlines():
                rendering.lines.append(f"{indent}{line}")
            for item in block.get("fields", []):
                rendering.lines.append(f"{indent}{_text(item)}")
            if block.get("accessory"):
                pressable = add_element(block["accessory"])
                if pressable:
                    rendering.lines.append(f"{indent}    {pressable}")
        elif kind == "context":
            parts = [_text(element) for element in block.get("elements", [])]
            rendering.lines.append(f"{indent}  ({' · '.join(p for p in parts if p)})")
        elif kind == "divider":
            rendering.lines.append(f"{indent}{'─' * 40}")
        elif kind == "actions":
            row = [add_element(element) for element in block.get("elements", [])]
            rendering.lines.append(f"{indent}{'   '.join(item for item in row if item)}")
        elif kind == "input":
            rendering.lines.append(f"{indent}<field> {_text(block.get('label'))}")
