"""Rendering of following: the answers to `follow` / `unfollow` / `following`, the card's
*Follow* button, App Home's subscriptions and preferences, and what followers receive (one
change, a daily summary, a weekly "what changed" digest), each within Slack's limits."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from promisebot.changes import ChangeKind
from promisebot.domain import Rating
from promisebot.services.follows import (
    ChangeList,
    Following,
    FollowResult,
    Notification,
    Preferences,
    Subscription,
    TargetKind,
)
from promisebot.services.lookup import LookupResult
from promisebot.slack.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_TEXT,
    Act,
    Block,
    Message,
    button,
    context,
    divider,
    escape,
    format_day,
    header,
    link,
    message_size,
    plural,
    rating_badge,
    section,
    truncate,
)

FOLLOW_USAGE = (
    "Usage: `/promise follow <words or id>`, `/promise follow tag:<tag>` or "
    "`/promise follow tracker:<slug>`; add `here` at the end to subscribe this channel "
    "(editors). `/promise unfollow …` takes the same forms; `/promise following` lists them."
)
NOTIFICATION_EVENT = "promisebot_notification"
RATIONALE_SHOWN = 600
NOTE_SHOWN = 300
TITLE_SHOWN = 120
PICK_MAX = 5

Links = Mapping[tuple[str, str], str]  # (channel, ts) of a proposal's thread → its permalink


# -- what followers receive ---------------------------------------------------------------------


def notification_message(item: Notification, tz: ZoneInfo, thread_link: str | None) -> Message:
    """One change for one follower: what happened, who did it, and the thread to read."""
    blocks: list[Block] = [section(_headline(item))]
    quote = _quote(item)
    if quote:
        blocks.append(section(quote))
    blocks.append(context(_byline(item, tz, thread_link)))
    return Message(_fallback(item), blocks)


def metadata(item: Notification) -> dict[str, Any]:
    """Slack message metadata naming the delivery, so a message can be traced to its row."""
    return {
        "event_type": NOTIFICATION_EVENT,
        "event_payload": {
            "delivery_id": item.delivery_id,
            "event_id": item.event_id,
            "kind": item.kind.value,
            "promise_id": item.promise.id,
        },
    }


def summary_metadata(run_id: int, count: int) -> dict[str, Any]:
    return {
        "event_type": NOTIFICATION_EVENT,
        "event_payload": {"summary_run_id": run_id, "kind": "daily_summary", "count": count},
    }


def summary_message(items: tuple[Notification, ...], tz: ZoneInfo, links: Links) -> Message:
    """The daily summary: one line per change, oldest first, capped with "and N more"."""
    title = f"Your daily summary: {plural(len(items), 'change')} to promises you follow"
    head = [header(title)]
    lines = [_line(item, tz, links) for item in items]
    return Message(title, _packed(head, lines, len(items), "`/promise following` to manage"))


def changes_message(content: ChangeList, tz: ZoneInfo, links: Links) -> Message:
    """The weekly "what changed" digest, grouped by tracker, capped with "and N more"."""
    where = f" in `{escape(content.tracker)}`" if content.tracker else ""
    title = f"What changed{where}: {plural(content.total, 'change')}"
    period = f"{format_day(content.start, tz)} to {format_day(content.end, tz)}"
    blocks: list[Block] = [header(_plain(title)), context(period)]
    shown = 0
    for tracker, items in _by_tracker(content.items):
        heading = section(f"*{escape(truncate(tracker, TITLE_SHOWN))}*")
        if not _fits([*blocks, heading]):
            break
        blocks.append(heading)
        added = _add_lines(blocks, [_line(item, tz, links) for item in items])
        shown += added
        if added < len(items):
            break
    more = content.total - shown
    tail = "`/promise <id>` for a promise's card"
    return Message(_plain(title), [*blocks, context(f"and {more} more · {tail}" if more else tail)])


def _fits(blocks: list[Block]) -> bool:
    """Room left for one closing context block."""
    return len(blocks) < MAX_MESSAGE_BLOCKS and message_size(blocks) + 200 <= MAX_MESSAGE_CHARS


def _add_lines(blocks: list[Block], lines: list[str]) -> int:
    """Append whole lines, packed into sections, while they fit; how many were added."""
    added = 0
    for text in _chunks(lines):
        chunk_lines = text.split("\n")
        while chunk_lines and not _fits([*blocks, section("\n".join(chunk_lines))]):
            chunk_lines.pop()
        if chunk_lines:
            blocks.append(section("\n".join(chunk_lines)))
            added += len(chunk_lines)
        if len(chunk_lines) < text.count("\n") + 1:
            break
    return added


def _by_tracker(items: Iterable[Notification]) -> list[tuple[str, list[Notification]]]:
    groups: dict[str, list[Notification]] = {}
    for item in items:
        name = item.promise.tracker_name or item.promise.tracker
        groups.setdefault(name, []).append(item)
    return list(groups.items())


def _chunks(lines: list[str]) -> list[str]:
    """Whole lines packed into section texts (a line cut in half could break its mrkdwn)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = truncate(line, MAX_TEXT - 10)
        if current and size + len(line) + 1 > MAX_TEXT:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


def _packed(head: list[Block], lines: list[str], total: int, tail: str) -> list[Block]:
    """`head` then as many whole lines as fit, then "and N more" and `tail`."""
    blocks = list(head)
    more = total - _add_lines(blocks, lines)
    return [*blocks, context(f"and {more} more · {tail}" if more > 0 else tail)]


def _promise(item: Notification) -> str:
    promise = item.promise
    return (
        f"*{escape(truncate(promise.title, TITLE_SHOWN))}* "
        f"(`{escape(promise.tracker)}/{escape(promise.external_id)}`)"
    )


def _rating(value: object) -> Rating | None:
    try:
        return Rating(str(value))
    except ValueError:
        return None


def _move(details: Mapping[str, Any]) -> str:
    before, after = _rating(details.get("from")), _rating(details.get("to"))
    if before is None or after is None:
        return ""
    return f"{before.emoji} {before.label} → {rating_badge(after)}"


def _headline(item: Notification) -> str:
    details = item.details
    if item.kind is ChangeKind.RATING_CHANGED:
        return f":bell: Rating changed: {_promise(item)}\n{_move(details)}"
    if item.kind is ChangeKind.EVIDENCE_ADDED:
        url = str(details.get("url", ""))
        shown = link(url, truncate(str(details.get("title") or url), 150))
        return f":page_facing_up: New evidence on {_promise(item)}\n{shown}"
    if item.kind is ChangeKind.PROPOSAL_OPENED:
        return f":hourglass_flowing_sand: Change proposed for {_promise(item)}\n{_move(details)}"
    if item.kind is ChangeKind.PROPOSAL_CLOSED:
        status = escape(str(details.get("status", "closed")))
        return f":file_folder: A proposal for {_promise(item)} was {status}"
    return (
        f":large_yellow_circle: {_promise(item)} is in today's still-stalled digest: "
        "no review for a while"
    )


def _quote(item: Notification) -> str:
    if item.kind in (ChangeKind.RATING_CHANGED, ChangeKind.PROPOSAL_OPENED):
        text = str(item.details.get("rationale", "")).strip()
        return "> " + escape(truncate(text, RATIONALE_SHOWN)).replace("\n", "\n> ") if text else ""
    if item.kind is ChangeKind.EVIDENCE_ADDED:
        note = str(item.details.get("note", "")).strip()
        return f"_{escape(truncate(note, NOTE_SHOWN))}_" if note else ""
    return ""


def _byline(item: Notification, tz: ZoneInfo, thread_link: str | None) -> str:
    details = item.details
    parts = [format_day(item.at, tz)]
    if item.kind is ChangeKind.RATING_CHANGED:
        parts.append(f"proposed by {_mention(details.get('proposed_by'))}")
        approvers = ", ".join(_mention(user) for user in details.get("approved_by") or ())
        if approvers:
            parts.append(f"approved by {approvers}")
    elif item.kind in (ChangeKind.EVIDENCE_ADDED, ChangeKind.PROPOSAL_OPENED):
        parts.append(f"by {_mention(item.actor)}")
    if thread_link:
        parts.append(link(thread_link, "Open the thread"))
    parts.append("`/promise following` to manage")
    return " · ".join(parts)


def _line(item: Notification, tz: ZoneInfo, links: Links) -> str:
    """One change on one line (summaries, weekly digests)."""
    headline = _headline(item).replace("\n", " · ")
    thread = links.get(item.thread) if item.thread else None
    opened = f" · {link(thread, 'thread')}" if thread else ""
    return f"• {format_day(item.at, tz)}: {headline}{opened}"


def _mention(user: object) -> str:
    return f"<@{escape(str(user))}>" if user else "someone"


def _fallback(item: Notification) -> str:
    title = escape(truncate(item.promise.title, TITLE_SHOWN))
    return {
        ChangeKind.RATING_CHANGED: f"Rating changed: {title}",
        ChangeKind.EVIDENCE_ADDED: f"New evidence on {title}",
        ChangeKind.PROPOSAL_OPENED: f"Change proposed for {title}",
        ChangeKind.PROPOSAL_CLOSED: f"Proposal closed for {title}",
        ChangeKind.STALLED: f"Still stalled: {title}",
    }[item.kind]


def _plain(text: str) -> str:
    return text.replace("`", "")


# -- answers to the commands ---------------------------------------------------------------------


def _subscriber(channel: str | None) -> str:
    return f"<#{escape(channel)}>" if channel else "You"


def _what(subscription: Subscription) -> str:
    if subscription.target.kind is TargetKind.PROMISE:
        return (
            f"*{escape(truncate(subscription.label, TITLE_SHOWN))}* "
            f"(`{escape(subscription.reference)}`)"
        )
    return f"{subscription.target.kind.value} `{escape(subscription.label)}`"


def followed_message(result: FollowResult, channel: str | None) -> Message:
    what = _what(result.subscription)
    if result.resumed:
        text = f":arrow_forward: {_subscriber(channel)} will hear about {what} again."
    else:
        verb = "now follows" if channel else "now follow"
        text = f":bell: {_subscriber(channel)} {verb} {what}."
    note = (
        "Changes will be posted here."
        if channel
        else "Changes come as direct messages from the app (App Home has your settings)."
    )
    return Message(_plain(text), [section(text), context(note)])


def unfollowed_message(subscription: Subscription, channel: str | None) -> Message:
    verb = "no longer follows" if channel else "no longer follow"
    text = f":no_bell: {_subscriber(channel)} {verb} {_what(subscription)}."
    return Message(_plain(text), [section(text)])


def _subscription_block(subscription: Subscription) -> Block:
    text = f"{_what(subscription)}"
    if subscription.paused_reason:
        text += (
            f"\n:double_vertical_bar: paused: Slack said `{escape(subscription.paused_reason)}` "
            "— follow it again to resume"
        )
    return section(
        text,
        accessory=button("Unfollow", Act.UNFOLLOW_SUBSCRIPTION, str(subscription.id)),
        block_id=f"follow:{subscription.id}",
    )


def following_message(following: Following) -> Message:
    """`/promise following`: the viewer's subscriptions, then this channel's."""
    blocks: list[Block] = [section(f"*You follow* ({len(following.mine)})")]
    if following.mine:
        blocks.extend(_subscription_block(s) for s in following.mine[:20])
        if len(following.mine) > 20:
            blocks.append(context(f"and {len(following.mine) - 20} more (App Home lists all)"))
    else:
        blocks.append(context("Nothing yet. " + FOLLOW_USAGE))
    if following.channel_id:
        blocks.append(divider())
        blocks.append(section(f"*This channel follows* ({len(following.channel)})"))
        blocks.extend(_subscription_block(s) for s in following.channel[:20])
        if not following.channel:
            blocks.append(context("Nothing. Editors can add `here` to a follow command."))
        elif len(following.channel) > 20:
            blocks.append(context(f"and {len(following.channel) - 20} more"))
    text = f"You follow {plural(len(following.mine), 'thing')}"
    return Message(text, blocks[:MAX_MESSAGE_BLOCKS])


def pick_list_message(result: LookupResult, *, here: bool, unfollow: bool = False) -> Message:
    """Several promises (or none, with suggestions) match a follow: a button for each."""
    action = Act.UNFOLLOW if unfollow else Act.FOLLOW
    verb = "Unfollow" if unfollow else "Follow"
    query = escape(truncate(result.query, 200))
    if result.kind == "ambiguous":
        intro = f"Several promises match *{query}*. Which one?"
    else:
        intro = f"No promise matches *{query}*." + (" Did you mean:" if result.candidates else "")
    blocks: list[Block] = [section(intro)]
    for item in result.candidates[:PICK_MAX]:
        blocks.append(
            section(
                f"*{escape(item.title)}*\n{rating_badge(item.rating)} · "
                f"{escape(item.tracker_name)} · `{escape(item.external_id)}`",
                accessory=button(verb, action, follow_value(item.id, here=here)),
            )
        )
    if not result.candidates:
        blocks.append(context("Try fewer words, `tag:<tag>` or `tracker:<slug>`."))
    return Message(_plain(intro), blocks)


def follow_value(promise_id: int, *, here: bool) -> str:
    """A Follow button's value: the promise id, and `:here` for the channel."""
    return f"{promise_id}:here" if here else str(promise_id)


def parse_follow_value(value: str) -> tuple[int, bool]:
    """(promise id, for the channel) from a Follow / Unfollow button; ValueError if not ours."""
    head, _, tail = value.partition(":")
    return int(head), tail == "here"


def follow_button(promise_id: int, *, following: bool) -> Block:
    """The card's *Follow* / *Following ✓* (pressing the latter unfollows)."""
    if following:
        return button("Following ✓", Act.UNFOLLOW, str(promise_id))
    return button("Follow", Act.FOLLOW, str(promise_id))


# -- App Home ------------------------------------------------------------------------------------

PREFERENCE_LABELS = {
    "notify_proposals": "Notify me of new proposals",
    "daily_summary": "Send me a daily summary (09:00) instead of one message per change",
}


def preference_value(name: str, on: bool) -> str:
    return f"{name}:{'on' if on else 'off'}"


def parse_preference_value(value: str, current: Preferences) -> Preferences:
    """The preferences after pressing a toggle; ValueError if the value is not ours."""
    name, _, state = value.partition(":")
    if name not in PREFERENCE_LABELS or state not in ("on", "off"):
        raise ValueError(value)
    values = {
        "notify_proposals": current.notify_proposals,
        "daily_summary": current.daily_summary,
    }
    values[name] = state == "on"
    return Preferences(**values)


def home_blocks(following: Following, *, limit: int = 15) -> list[Block]:
    """The Home tab's part: the viewer's subscriptions with *Unfollow*, and the toggles."""
    blocks: list[Block] = [header("Following")]
    if following.mine:
        blocks.extend(_subscription_block(s) for s in following.mine[:limit])
        if len(following.mine) > limit:
            blocks.append(context(f"and {len(following.mine) - limit} more · `/promise following`"))
    else:
        blocks.append(context("You follow nothing yet. " + FOLLOW_USAGE))
    preferences = following.preferences
    toggles: list[Block] = []
    for name, label in PREFERENCE_LABELS.items():
        on = bool(getattr(preferences, name))
        toggles.append(
            section(
                f"{':white_check_mark:' if on else ':white_large_square:'} {label}",
                accessory=button(
                    "Turn off" if on else "Turn on",
                    Act.FOLLOW_PREFERENCE,
                    preference_value(name, not on),
                    style=None if on else "primary",
                ),
                block_id=f"preference:{name}",
            )
        )
    return [*blocks, *toggles]


def thread_links(
    items: Iterable[Notification], permalink: Callable[[str, str], str | None]
) -> dict[tuple[str, str], str]:
    """Permalinks of the threads these changes point at, one call per thread."""
    links: dict[tuple[str, str], str] = {}
    for item in items:
        if item.thread and item.thread not in links:
            found = permalink(*item.thread)
            if found:
                links[item.thread] = found
    return links
