"""The still-stalled digest as a Slack message (and as plain text for `promisebot digest
--dry-run`); the *Reviewed* / *Snooze* controls and their values; the replies to them and
to `/promise remind` and `snooze`, with those commands' usage text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from promisebot.services.reminders import (
    SNOOZE_CHOICES,
    DigestAnswer,
    DigestContent,
    DigestItem,
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

LIST_STALLED = "/promise list stalled"
ITEM_BLOCK = "digest.item:"
ACTIONS_BLOCK = "digest.actions:"
NOTE_BLOCK = "digest.note:"
REMIND_HERE_USAGE = (
    "Usage: `/promise remind here <days> <HH:MM> [threshold-days]`, "
    "e.g. `/promise remind here mon,thu 09:00 30`. Days: `mon`…`sun`, lists like `mon,thu`, "
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


def _pack(content: DigestContent, tz: ZoneInfo) -> tuple[list[Block], int]:
    """The blocks and how many items fit: whole items only, and room for the tail."""
    blocks = [header(_title(content)), context(_criteria(content))]
    tail_size = message_size([_more(content.total_due)])
    shown = 0
    for item in content.items:
        group = _item_blocks(item, tz)
        if len(blocks) + len(group) + 1 > MAX_MESSAGE_BLOCKS:
            break
        if message_size(blocks) + message_size(group) + tail_size > MAX_MESSAGE_CHARS:
            break
        blocks.extend(group)
        shown += 1
    if content.total_due > shown:
        blocks.append(_more(content.total_due - shown))
    return blocks, shown


def render_digest(content: DigestContent, tz: ZoneInfo) -> Message:
    """The digest; with nothing due, the all-clear message."""
    if not content.items:
        return render_all_clear(content)
    blocks, _ = _pack(content, tz)
    text = f"{_title(content)} not reviewed for over {plural(content.threshold_days, 'day')}"
    return Message(text=text, blocks=blocks)


def render_all_clear(content: DigestContent) -> Message:
    text = (
        f"All clear: no Stalled promise has gone over "
        f"{plural(content.threshold_days, 'day')} without a review."
    )
    return Message(text=text, blocks=[section(f":white_check_mark: {text}")])


def render_digest_text(content: DigestContent, tz: ZoneInfo) -> str:
    """What the digest would say, readable in a terminal (same items as the message)."""
    if not content.items:
        return render_all_clear(content).text
    _, shown = _pack(content, tz)
    lines = [_title(content), _criteria(content), ""]
    for number, item in enumerate(content.items[:shown], start=1):
        lines.append(f"{number}. {item.title}  [{item.external_id} · {item.tracker_name}]")
        lines.append(f"   {_facts(item, tz)}")
    if content.total_due > shown:
        lines.append(f"…and {content.total_due - shown} more — {LIST_STALLED}")
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
