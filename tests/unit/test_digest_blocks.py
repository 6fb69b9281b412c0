"""The digest message: content, actions, escaping, Slack's limits, the all-clear variant and
the plain-text rendering for `promisebot digest --dry-run`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from promisebot.services.reminders import DigestContent, DigestItem, ScheduleInfo
from promisebot.slack.blocks.common import MAX_MESSAGE_CHARS, Act, message_size
from promisebot.slack.blocks.digest import (
    mark_item_done,
    parse_snooze_value,
    render_digest,
    render_digest_text,
    render_schedule_list,
    render_schedule_saved,
)
from tests.blocks import assert_valid_blocks

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


def item(n: int, *, title: str | None = None, days: int = 100) -> DigestItem:
    return DigestItem(
        promise_id=n,
        external_id=f"promise-{n}",
        title=title or f"Promise number {n}",
        tracker_slug="gov",
        tracker_name="Governor tracker",
        stalled_since=NOW - timedelta(days=days),
        days_stalled=days,
        last_reviewed_at=NOW - timedelta(days=days),
        last_evidence_on=date(2026, 5, 1) if n % 2 else None,
    )


def content(items: list[DigestItem], total: int | None = None) -> DigestContent:
    return DigestContent(tuple(items), total if total is not None else len(items), 30, NOW)


def elements_of(blocks: list[dict[str, object]], action_id: str) -> list[dict[str, object]]:
    return [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]  # type: ignore[attr-defined]
        if element["action_id"] == action_id
    ]


def test_each_promise_with_its_facts_and_actions() -> None:
    message = render_digest(content([item(1, days=400), item(2, days=45)]), NY)

    blocks = message.blocks
    assert_valid_blocks(blocks)
    assert blocks[0]["text"]["text"] == "Still stalled: 2 promises"
    assert "over 30 days" in message.text
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert sections[0].startswith("*Promise number 1*\n`promise-1` · Governor tracker\n")
    assert "Stalled 400 days (since Oct 26, 2025) · last evidence May 1, 2026" in sections[0]
    assert "Stalled 45 days (since Oct 16, 2026) · no evidence yet" in sections[1]
    reviewed = elements_of(blocks, Act.REVIEWED)
    assert [(e["value"], e["text"]["text"]) for e in reviewed] == [  # type: ignore[index]
        ("1", "Reviewed — still stalled"),
        ("2", "Reviewed — still stalled"),
    ]
    assert [e["value"] for e in elements_of(blocks, Act.PROPOSE)] == ["1", "2"]
    snooze = elements_of(blocks, Act.SNOOZE)[0]
    values = [option["value"] for option in snooze["options"]]  # type: ignore[attr-defined]
    assert [parse_snooze_value(value) for value in values] == [(1, 7), (1, 30), (1, 90)]
    assert "more" not in str(blocks)


def test_titles_are_escaped() -> None:
    message = render_digest(content([item(1, title="<!channel> & <http://evil|x>")]), NY)

    section = next(b for b in message.blocks if b["type"] == "section")
    assert "*&lt;!channel&gt; &amp; &lt;http://evil|x&gt;*" in section["text"]["text"]
    assert "<!channel>" not in str(message.blocks)


@pytest.mark.parametrize("title_length", [20, 300])
def test_many_stalled_promises_fit_slacks_limits(title_length: int) -> None:
    items = [item(n, title="T" * title_length, days=1000 - n) for n in range(1, 21)]
    message = render_digest(content(items, total=2000), NY)

    blocks = message.blocks
    assert_valid_blocks(blocks)
    assert len(blocks) <= 50 and message_size(blocks) <= MAX_MESSAGE_CHARS
    shown = [b for b in blocks if b["type"] == "section"]
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(shown) == len(actions) >= 5  # whole items only
    assert blocks[-1]["type"] == "context"
    assert blocks[-1]["elements"][0]["text"] == (
        f"…and {2000 - len(shown)} more — `/promise list stalled`"
    )


def test_all_clear() -> None:
    message = render_digest(content([]), NY)

    assert_valid_blocks(message.blocks)
    assert message.text == "All clear: no Stalled promise has gone over 30 days without a review."


def test_text_rendering_lists_what_the_message_shows() -> None:
    items = [item(n, title="T" * 300) for n in range(1, 21)]
    shown = sum(1 for b in render_digest(content(items, 50), NY).blocks if b["type"] == "section")

    text = render_digest_text(content(items, 50), NY)

    lines = text.splitlines()
    assert lines[0] == "Still stalled: 50 promises"
    assert lines[3].startswith("1. TTT") and lines[3].endswith("[promise-1 · Governor tracker]")
    assert sum(1 for line in lines if line[:1].isdigit()) == shown
    assert lines[-1] == f"…and {50 - shown} more — /promise list stalled"
    assert render_digest_text(content([]), NY).startswith("All clear")


def test_mark_item_done_replaces_only_that_items_actions() -> None:
    blocks = render_digest(content([item(1), item(2)]), NY).blocks

    updated = mark_item_done(blocks, 1, "Reviewed by <@U1>: still stalled")

    assert_valid_blocks(updated)
    assert [e["value"] for e in elements_of(updated, Act.REVIEWED)] == ["2"]
    assert any(
        b["type"] == "context" and "Reviewed by <@U1>" in b["elements"][0]["text"] for b in updated
    )
    assert len(updated) == len(blocks)


def schedule(**changes: object) -> ScheduleInfo:
    info = ScheduleInfo(
        id=3,
        channel_id="C1",
        days=(0, 3),
        local_time="09:00",
        timezone="America/New_York",
        threshold_days=30,
        tracker_id=None,
        tracker_slug=None,
        enabled=True,
        created_by="U1",
        created_at=NOW,
        updated_at=NOW,
        next_run=datetime(2026, 12, 3, 9, 0, tzinfo=NY),
    )
    return replace(info, **changes)  # type: ignore[arg-type]


def test_schedule_list_and_confirmations() -> None:
    listed = render_schedule_list([schedule(), schedule(id=4, tracker_slug="gov", days=(0,))])
    saved = render_schedule_saved(schedule())
    off = render_schedule_saved(schedule(enabled=False, next_run=None))
    empty = render_schedule_list([])

    for message in (listed, saved, off, empty):
        assert_valid_blocks(message.blocks)
    assert listed.text.splitlines() == [
        "Still-stalled reminders here:",
        "• *#3* · Mon, Thu at 09:00 (America/New_York) · stalled over 30 days · "
        "next Thu, Dec 3, 2026 at 09:00 EST",
        "• *#4* · Mon at 09:00 (America/New_York) · stalled over 30 days · gov tracker only · "
        "next Thu, Dec 3, 2026 at 09:00 EST",
    ]
    assert saved.text.startswith("Reminder set: *#3*")
    assert off.text.startswith("Reminder turned off: *#3*") and off.text.endswith("· off")
    assert "remind here mon,thu 09:00 30" in str(empty.blocks)
