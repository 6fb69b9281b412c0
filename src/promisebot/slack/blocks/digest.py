"""The still-stalled digest as a Slack message (and as plain text for `promisebot digest
--dry-run`), with its second section, promises past their deadline; the *Reviewed* /
*Snooze* controls and their values; the replies to them and to `/promise remind` and
`snooze`, with those commands' usage text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from promisebot.services.reminders import (
    CHANGES,
    SNOOZE_CHOICES,
    DigestAnswer,
    DigestContent,
    DigestItem,
    OverdueItem,
    PromiseReviewed,
    PromiseSnoozed,
    ScheduleInfo,
)
from promisebot.slack.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_CHARS,
    Act,
    Block,
    Message,
    actions,
    button,
    context,
    divider,
    escape,
    format_day,
    header,
    message_size,
    plain_text,
    plural,
    section,
)
from promisebot.slack.blocks.deadlines import LIST_OVERDUE, due_text

LIST_STALLED = "/promise list stalled"
OVERDUE_CRITERIA = (
    "Past their deadline and not rated Promise Kept or Promise Broken, most overdue first. "
    "Snoozed promises are left out."
)
ITEM_BLOCK = "digest.item:"
ACTIONS_BLOCK = "digest.actions:"
NOTE_BLOCK = "digest.note:"
REMIND_HERE_USAGE = (
    "Usage: `/promise remind here <days> <HH:MM> [threshold-days]`, "
    "e.g. `/promise remind here mon,thu 09:00 30`, or `/promise remind here changes "
    '<days> <HH:MM> [tracker]` for a "what changed" digest, e.g. `… changes fri 16:00`. '
    "Days: `mon`…`sun`, lists like `mon,thu`, "
    "ranges like `mon-fri`, or `weekdays`, `weekends`, `daily`; time is 24-hour local time."
)
REMIND_USAGE = (
    f"{REMIND_HERE_USAGE} `/promise remind list` shows this channel's reminders; "
    "`/promise remind off <id>` turns one off."
)
REMIND_OFF_USAGE = (
    "Usage: `/promise remind off <id>`; `/promise remind list` shows each schedule's id."
)
SNOOZE_USAGE = "Usage: `/promise snooze <id> <days>`, e.g. `/promise snooze police-liability 30`."


# The action values below are the one definition of what `Act.REVIEWED` and `Act.SNOOZE`
# carry, wherever those controls appear (digest items, editors' promise cards); the
# listeners in `slack/listeners/reminders.py` parse them with the `parse_*` functions here.


def reviewed_value(promise_id: int) -> str:
    """*Reviewed — still stalled* button value: the promise id (as *Propose change*)."""
    return str(promise_id)


def parse_reviewed_value(value: str) -> int:
    """The promise id from a *Reviewed* button's value; ValueError if it is not ours."""
    if not value.isdigit():
        raise ValueError(f"not a promise id: {value!r}")
    return int(value)


def snooze_value(promise_id: int, days: int) -> str:
    """A *Snooze* option's value: `<promise id>:<days>`."""
    return f"{promise_id}:{days}"


def parse_snooze_value(value: str) -> tuple[int, int]:
    """(promise id, days) from a Snooze option's value; ValueError if it is not ours."""
    promise_id, _, days = value.partition(":")
    return int(promise_id), int(days)


def reviewed_button(promise_id: int, *, style: str | None = None) -> Block:
    return button("Reviewed — still stalled", Act.REVIEWED, reviewed_value(promise_id), style=style)


def snooze_select(promise_id: int) -> Block:
    """The *Snooze…* menu: 7 / 30 / 90 days."""
    return {
        "type": "static_select",
        "action_id": Act.SNOOZE,
        "placeholder": plain_text("Snooze…"),
        "options": [
            {"text": plain_text(f"{days} days"), "value": snooze_value(promise_id, days)}
            for days in SNOOZE_CHOICES
        ],
    }


def _title(content: DigestContent) -> str:
    return f"Still stalled: {plural(content.total_due, 'promise')}"


def _criteria(content: DigestContent) -> str:
    return (
        f"Rated Stalled and not reviewed for over {plural(content.threshold_days, 'day')}, "
        "longest-stalled first. Snoozed promises are left out."
    )


def _facts(item: DigestItem, tz: ZoneInfo) -> str:
    evidence = (
        f"last evidence {format_day(item.last_evidence_on)}"
        if item.last_evidence_on
        else "no evidence yet"
    )
    return (
        f"Stalled {plural(item.days_stalled, 'day')} "
        f"(since {format_day(item.stalled_since, tz)}) · {evidence}"
    )


def _more(count: int) -> Block:
    return context(f"…and {count} more — `{LIST_STALLED}`")


def _overdue_title(content: DigestContent) -> str:
    return f"Past their deadline: {plural(content.overdue_total, 'promise')}"


def _overdue_more(count: int) -> Block:
    return context(f"…and {count} more — `{LIST_OVERDUE}`")


def _overdue_facts(item: OverdueItem) -> str:
    return f"{due_text(item.deadline)} · {item.rating.emoji} {item.rating.label}"


def _item_blocks(item: DigestItem, tz: ZoneInfo) -> list[Block]:
    text = (
        f"*{escape(item.title)}*\n"
        f"`{escape(item.external_id)}` · {escape(item.tracker_name)}\n"
        f"{_facts(item, tz)}"
    )
    return [
        divider(),
        section(text, block_id=f"{ITEM_BLOCK}{item.promise_id}"),
        actions(
            reviewed_button(item.promise_id, style="primary"),
            button("Propose change", Act.PROPOSE, str(item.promise_id)),
            snooze_select(item.promise_id),
            block_id=f"{ACTIONS_BLOCK}{item.promise_id}",
        ),
    ]


def _overdue_blocks(item: OverdueItem) -> list[Block]:
    """Like a stalled item (the sections never share a promise, so block ids stay unique),
    without *Reviewed — still stalled*: proposing the rating the deadline calls for is the
    answer, or a snooze."""
    text = (
        f"*{escape(item.title)}*\n"
        f"`{escape(item.external_id)}` · {escape(item.tracker_name)}\n"
        f":alarm_clock: {_overdue_facts(item)}"
    )
    return [
        divider(),
        section(text, block_id=f"{ITEM_BLOCK}{item.promise_id}"),
        actions(
            button("Propose change", Act.PROPOSE, str(item.promise_id), style="primary"),
            snooze_select(item.promise_id),
            block_id=f"{ACTIONS_BLOCK}{item.promise_id}",
        ),
    ]


@dataclass(frozen=True, slots=True)
class _Section:
    head: list[Block]
    groups: list[list[Block]]  # one per promise
    total: int
    more: Callable[[int], Block]


def _sections(content: DigestContent, tz: ZoneInfo) -> list[_Section]:
    """Still stalled, then past their deadline; a section with nothing in it is left out
    (the stalled one stays when both are empty, for the all-clear's sake)."""
    sections = []
    if content.items or not content.overdue:
        sections.append(
            _Section(
                [header(_title(content)), context(_criteria(content))],
                [_item_blocks(item, tz) for item in content.items],
                content.total_due,
                _more,
            )
        )
    if content.overdue:
        sections.append(
            _Section(
                [header(_overdue_title(content)), context(OVERDUE_CRITERIA)],
                [_overdue_blocks(item) for item in content.overdue],
                content.overdue_total,
                _overdue_more,
            )
        )
    return sections


def _pack(content: DigestContent, tz: ZoneInfo) -> tuple[list[Block], list[int]]:
    """The blocks, and how many items of each section fit: whole items only, in order.
    Room is kept for every section's heading and "…and N more" line, and the sections take
    turns at what is left, so a long first section never crowds the second out."""
    sections = _sections(content, tz)
    reserved = [block for part in sections for block in part.head]
    reserved += [part.more(part.total) for part in sections]
    blocks_left = MAX_MESSAGE_BLOCKS - len(reserved)
    chars_left = MAX_MESSAGE_CHARS - message_size(reserved)
    shown = [0] * len(sections)
    open_parts = set(range(len(sections)))
    while open_parts:
        for index in sorted(open_parts):
            groups = sections[index].groups
            group = groups[shown[index]] if shown[index] < len(groups) else None
            size = message_size(group) if group else 0
            if group is None or len(group) > blocks_left or size > chars_left:
                open_parts.discard(index)
                continue
            blocks_left -= len(group)
            chars_left -= size
            shown[index] += 1
    blocks: list[Block] = []
    for part, count in zip(sections, shown, strict=True):
        blocks.extend(part.head)
        for group in part.groups[:count]:
            blocks.extend(group)
        if part.total > count:
            blocks.append(part.more(part.total - count))
    return blocks, shown


def render_digest(content: DigestContent, tz: ZoneInfo) -> Message:
    """The digest; with nothing due, the all-clear message."""
    if content.is_empty:
        return render_all_clear(content)
    blocks, _ = _pack(content, tz)
    parts = []
    if content.items:
        parts.append(
            f"{_title(content)} not reviewed for over {plural(content.threshold_days, 'day')}"
        )
    if content.overdue:
        parts.append(_overdue_title(content))
    return Message(text="; ".join(parts), blocks=blocks)


def render_all_clear(content: DigestContent) -> Message:
    text = (
        f"All clear: no Stalled promise has gone over "
        f"{plural(content.threshold_days, 'day')} without a review."
    )
    return Message(text=text, blocks=[section(f":white_check_mark: {text}")])


def render_digest_text(content: DigestContent, tz: ZoneInfo) -> str:
    """What the digest would say, readable in a terminal (same items as the message)."""
    if content.is_empty:
        return render_all_clear(content).text
    _, shown = _pack(content, tz)
    lines: list[str] = []
    if content.items:
        lines += [_title(content), _criteria(content), ""]
        for number, item in enumerate(content.items[: shown[0]], start=1):
            lines.append(f"{number}. {item.title}  [{item.external_id} · {item.tracker_name}]")
            lines.append(f"   {_facts(item, tz)}")
        if content.total_due > shown[0]:
            lines.append(f"…and {content.total_due - shown[0]} more — {LIST_STALLED}")
    if content.overdue:
        if lines:
            lines.append("")
        lines += [_overdue_title(content), OVERDUE_CRITERIA, ""]
        for number, overdue in enumerate(content.overdue[: shown[-1]], start=1):
            lines.append(
                f"{number}. {overdue.title}  [{overdue.external_id} · {overdue.tracker_name}]"
            )
            lines.append(f"   {_overdue_facts(overdue).replace('*', '')}")
        if content.overdue_total > shown[-1]:
            lines.append(f"…and {content.overdue_total - shown[-1]} more — {LIST_OVERDUE}")
    return "\n".join(lines)


def mark_item_done(blocks: list[Block], promise_id: int, note: str) -> list[Block]:
    """A posted digest's blocks with one item's actions (or earlier note) replaced by `note`
    (mrkdwn, already escaped), e.g. after "Reviewed — still stalled" or a snooze; other
    items keep theirs."""
    targets = (f"{ACTIONS_BLOCK}{promise_id}", f"{NOTE_BLOCK}{promise_id}")
    done = {**context(note), "block_id": f"{NOTE_BLOCK}{promise_id}"}
    return [done if block.get("block_id") in targets else block for block in blocks]


def digest_item_ids(blocks: list[Block]) -> list[int]:
    """The promises a posted digest lists, answered or not."""
    ids = []
    for block in blocks:
        block_id = str(block.get("block_id") or "")
        for prefix in (ACTIONS_BLOCK, NOTE_BLOCK):
            number = block_id.removeprefix(prefix)
            if block_id.startswith(prefix) and number.isdigit():
                ids.append(int(number))
    return ids


def describe_schedule(info: ScheduleInfo) -> str:
    """`#3 · Mon, Thu at 09:00 (America/New_York) · stalled over 30 days · gov tracker ·
    next Thu, Nov 26 at 09:00 EST` (mrkdwn)."""
    parts = [f"*#{info.id}*", escape(info.description)]
    if info.kind == CHANGES:
        parts.append("what changed since the previous one")
    else:
        parts.append(f"stalled over {plural(info.threshold_days, 'day')}")
    if info.tracker_slug:
        parts.append(f"{escape(info.tracker_slug)} tracker only")
    if info.next_run is not None:
        parts.append(
            f"next {info.next_run:%a}, {format_day(info.next_run)} at {info.next_run:%H:%M %Z}"
        )
    else:
        parts.append("off")
    return " · ".join(parts)


def render_schedule_list(schedules: list[ScheduleInfo]) -> Message:
    """The answer to `/promise remind list`."""
    if not schedules:
        text = "No still-stalled reminders here yet."
        return Message(text=text, blocks=[section(f"{text} {REMIND_HERE_USAGE}")])
    lines = [f"• {describe_schedule(info)}" for info in schedules]
    text = "Still-stalled reminders here:\n" + "\n".join(lines)
    footer = context("Turn one off with `/promise remind off <id>`.")
    return Message(text=text, blocks=[section(text), footer])


def render_schedule_saved(info: ScheduleInfo) -> Message:
    """The answer to `remind here …` and `remind off <id>`."""
    verb = "Reminder set" if info.enabled else "Reminder turned off"
    text = f"{verb}: {describe_schedule(info)}"
    return Message(text=text, blocks=[section(text)])


def reviewed_note(user: str) -> str:
    """What replaces an item's actions in a posted digest once it is reviewed."""
    return f":white_check_mark: Reviewed by <@{escape(user)}> — still stalled"


def snoozed_note(user: str, days: int, until: datetime | None, tz: ZoneInfo) -> str:
    """What replaces an item's actions in a posted digest once it is snoozed."""
    if until is None:
        return f":bell: Snooze lifted by <@{escape(user)}>"
    return (
        f":zzz: Snoozed for {plural(days, 'day')} by <@{escape(user)}> "
        f"(until {format_day(until, tz)})"
    )


def answer_note(answer: DigestAnswer, tz: ZoneInfo) -> str:
    """The note an answered item shows in a posted digest."""
    if answer.kind == "reviewed":
        return reviewed_note(answer.by)
    return snoozed_note(answer.by, answer.days, answer.until, tz)


def render_reviewed(result: PromiseReviewed) -> Message:
    """The presser's confirmation when there is no digest message to update (e.g. a card)."""
    text = (
        f":white_check_mark: Marked *{escape(result.title)}* (`{escape(result.external_id)}`) "
        "as reviewed — still stalled. It leaves still-stalled digests until it again goes "
        "unreviewed for longer than their threshold."
    )
    return Message(text=text, blocks=[section(text)])


def render_snoozed(result: PromiseSnoozed, days: int, tz: ZoneInfo) -> Message:
    """The answer to `/promise snooze` and to *Snooze* on a card."""
    what = f"*{escape(result.title)}* (`{escape(result.external_id)}`)"
    if result.snoozed_until is None:
        text = f":bell: Snooze lifted: {what} can appear in still-stalled digests again."
    else:
        text = (
            f":zzz: Snoozed {what} for {plural(days, 'day')}, until "
            f"{format_day(result.snoozed_until, tz)}: it stays out of still-stalled digests "
            "until then."
        )
    return Message(text=text, blocks=[section(text)])
