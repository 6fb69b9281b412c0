"""The one Block Kit check for tests: every block and every element in it parses with
slack_sdk's models and passes their validators, within Slack's documented limits."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# https://docs.slack.dev/reference/block-kit/blocks — written out here rather than taken
# from promisebot's own constants, so a wrong constant there cannot pass.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # modals and App Home
TEXT = 3000  # the longest text any block accepts (section text)
FIELD_TEXT = 2000  # each of a section's fields


def strings(value: Any, key: str = "") -> list[tuple[str, str]]:
    """Every string in a JSON value, with the key it sits under."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in strings(v, k)]
    if isinstance(value, list):
        return [pair for item in value for pair in strings(item, key)]
    return [(key, value)] if isinstance(value, str) else []


def _validate(value: Any) -> None:
    """slack_sdk validates one object at a time; walk into elements, options and texts."""
    if isinstance(value, JsonObject):
        value.validate_json()
        for attribute in vars(value).values():
            _validate(attribute)
    elif isinstance(value, list | tuple):
        for item in value:
            _validate(item)


def assert_valid_blocks(blocks: list[dict[str, Any]], *, most: int = MESSAGE_BLOCKS) -> None:
    """At least one block and at most `most` (a message's 50 unless told), each valid."""
    assert 0 < len(blocks) <= most
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        _validate(parsed)
    too_long = [text for key, text in strings(blocks) if key == "text" and len(text) > TEXT]
    assert too_long == []
    long_fields = [
        field["text"]
        for block in blocks
        if block.get("type") == "section"
        for field in block.get("fields", [])
        if len(field["text"]) > FIELD_TEXT
    ]
    assert long_fields == []


def assert_valid_view(view: dict[str, Any]) -> None:
    """A modal or App Home view: the view itself and up to 100 valid blocks."""
    View(**view).validate_json()
    assert_valid_blocks(view["blocks"], most=VIEW_BLOCKS)
