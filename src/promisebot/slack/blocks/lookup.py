"""Rendering of lookups: the promise card (with its deadline), the pick-list, "no match",
lists, scorecard, help."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from promisebot.domain import Rating
from promisebot.services.lookup import (
    LookupResult,
    OverdueList,
    PromiseCard,
    PromiseList,
    PromiseSummary,
    TrackerScore,
)
from promisebot.slack.blocks.common import (
    MAX_TEXT,
    Act,
    Block,
    Message,
    actions,
    button,
    context,
    divider,
    escape,
    fit,
    format_day,
    header,
    link,
    plural,
    rating_badge,
    section,
    truncate,
)
from promisebot.slack.blocks.deadlines import due_text, overdue_icon
from promisebot.slack.blocks.digest import reviewed_button, snooze_select
from promisebot.slack.blocks.follows import follow_button
from promisebot.slack.blocks.proposals import unposted_actions

PICK_LIST_MAX = 5
DESCRIPTION_MAX = 1200
ALIASES_SHOWN_MAX = 300  # characters of the card's alias list


def card_message(
    card: PromiseCard,
    tz: ZoneInfo,
    *,
    is_editor: bool = False,
    shared_by: str | None = None,
    permalinks: dict[int, str] | None = None,
    viewer: str | None = None,
    following: bool = False,
) -> Message:
    """The promise card; `shared_by` renders the public version without private buttons
    (its *Follow* is for whoever presses it); the `viewer`'s own proposals that were never
    posted get *Post for review* / *Withdraw*; `following`: the viewer follows this promise."""
    blocks: list[Block] = [
        header(card.title),
        context(
            f"*{escape(card.tracker_name)}* · `{escape(card.tracker)}/{escape(card.external_id)}`"
            + (f" · {escape(', '.join(card.tags))}" if card.tags else "")
            + (
                f" · also: {escape(truncate(', '.join(card.aliases), ALIASES_SHOWN_MAX))}"
                if card.aliases
                else ""
            )
        ),
        section(
            f"{rating_badge(card.rating)} since {format_day(card.rated_at, tz)} "
            f"({plural(card.days_held, 'day')})"
        ),
    ]
    if card.deadline is not None:
        blocks.append(context(f"{overdue_icon(card.deadline)} {due_text(card.deadline)}"))
    if card.description:
        blocks.append(section(escape(truncate(card.description, DESCRIPTION_MAX))))
    blocks.extend(_evidence_blocks(card, tz))
    blocks.extend(_history_blocks(card, tz))
    blocks.extend(_open_proposal_blocks(card, permalinks or {}))
    if viewer and not shared_by:
        blocks.extend(
            unposted_actions(proposal.id)
            for proposal in card.open_proposals
            if proposal.proposed_by == viewer and not proposal.message_ts
        )
    if shared_by:
        blocks.append(context(f"Shared by <@{escape(shared_by)}>"))
        blocks.append(actions(follow_button(card.id, following=False), block_id=f"card:{card.id}"))
    else:
        buttons = _card_buttons(card, is_editor)
        buttons.insert(1, follow_button(card.id, following=following))
        blocks.append(actions(*buttons, block_id=f"card:{card.id}"))
    text = f"{card.title}: {card.rating.label}"
    return Message(escape(text), fit(blocks))


def _card_buttons(card: PromiseCard, is_editor: bool) -> list[Block]:
    value = str(card.id)
    buttons = [button("Share in channel", Act.SHARE, value)]
    if is_editor:
        buttons.append(button("Propose change", Act.PROPOSE, value, style="primary"))
        buttons.append(button("Add evidence", Act.ADD_EVIDENCE, value))
        # The digest's own controls (same ids and values), so the digest listeners answer them.
        if card.rating is Rating.STALLED:
            buttons.append(reviewed_button(card.id))
        buttons.append(snooze_select(card.id))
    if card.source_url.startswith(("http://", "https://")):
        buttons.append(button("Public page", Act.OPEN_LINK, value, url=card.source_url))
    return buttons


def _evidence_blocks(card: PromiseCard, tz: ZoneInfo) -> list[Block]:
    if not card.evidence:
        return [context("No evidence recorded yet.")]
    lines = []
    for item in card.evidence:
        when = format_day(item.published_on or item.added_at, tz)
        source = f" — {escape(item.publisher)}" if item.publisher else ""
        note = f"\n      _{escape(truncate(item.note, 200))}_" if item.note else ""
        lines.append(
            f"• {when}: {link(item.url, truncate(item.title or item.url, 150))}{source}{note}"
        )
    more = card.evidence_total - len(card.evidence)
    if more > 0:
        lines.append(f"_and {more} more_")
    return [section(truncate("*Evidence*\n" + "\n".join(lines), MAX_TEXT))]


def _history_blocks(card: PromiseCard, tz: ZoneInfo) -> list[Block]:
    if not card.history:
        return []
    lines = []
    for change in card.history:
        who = ""
        if change.from_proposal:
            approvers = ", ".join(f"<@{escape(user)}>" for user in change.approved_by)
            who = f" — proposed by <@{escape(change.proposed_by)}>"
            who += f", approved by {approvers}" if approvers else ""
        lines.append(
            f"• {format_day(change.effective_at, tz)}: {change.from_rating.label} → "
            f"*{change.to_rating.label}*{who}"
        )
    more = card.history_total - len(card.history)
    if more > 0:
        lines.append(f"_and {more} earlier_")
    return [section(truncate("*Rating history*\n" + "\n".join(lines), MAX_TEXT))]


def _open_proposal_blocks(card: PromiseCard, permalinks: dict[int, str]) -> list[Block]:
    lines = []
    for proposal in card.open_proposals:
        label = f"proposal to rate it {proposal.to_rating.label}"
        target = permalinks.get(proposal.id)
        shown = link(target, label) if target else label
        lines.append(
            f":hourglass_flowing_sand: Open {shown} by <@{escape(proposal.proposed_by)}> "
            f"({proposal.approvals}/{proposal.approvals_required} approvals"
            + (", one from a senior editor)" if proposal.senior_required else ")")
        )
    return [section("\n".join(lines))] if lines else []


def pick_list_message(result: LookupResult) -> Message:
    blocks: list[Block] = [
        section(f"Several promises match *{escape(truncate(result.query, 200))}*. Which one?")
    ]
    for item in result.candidates[:PICK_LIST_MAX]:
        blocks.append(
            section(
                f"*{escape(item.title)}*\n{rating_badge(item.rating)} · "
                f"{escape(item.tracker_name)} · `{escape(item.external_id)}`",
                accessory=button("Show", Act.PICK, pick_value(item.id, result)),
            )
        )
    return Message(f"Several promises match {escape(result.query)}", fit(blocks))


def pick_value(promise_id: int, result: LookupResult) -> str:
    """`<id>:<query key>`, so that the press can teach search the query (at most ~70
    characters, far below Slack's 2,000 for a button value); a plain id when it cannot."""
    return f"{promise_id}:{result.learnable}" if result.learnable else str(promise_id)


def no_match_message(result: LookupResult) -> Message:
    text = f"No promise matches *{escape(truncate(result.query, 200))}*."
    blocks: list[Block] = [section(text)]
    if result.candidates:
        blocks.append(section("Did you mean:"))
        for item in result.candidates[:3]:
            blocks.append(
                section(
                    f"*{escape(item.title)}* · `{escape(item.external_id)}`",
                    accessory=button("Show", Act.PICK, pick_value(item.id, result)),
                )
            )
    else:
        blocks.append(context("Try fewer words, or `/promise list stalled` to browse."))
    return Message(text, fit(blocks))


def lookup_message(result: LookupResult, tz: ZoneInfo, *, is_editor: bool) -> Message:
    if result.card is not None:
        return card_message(result.card, tz, is_editor=is_editor)
    if result.kind == "ambiguous":
        return pick_list_message(result)
    return no_match_message(result)


def list_message(listing: PromiseList, tz: ZoneInfo) -> Message:
    where = f" in `{escape(listing.tracker)}`" if listing.tracker else ""
    count = plural(listing.total, "promise")
    title = f"{listing.rating.emoji} {count} rated *{listing.rating.label}*{where}"
    blocks = [section(title)]
    blocks += [_listed(item, f"since {format_day(item.rated_at, tz)}") for item in listing.items]
    return Message(
        f"{listing.total} promises rated {listing.rating.label}",
        fit(blocks, tail=_and_more(listing.total, len(listing.items))),
    )


def overdue_list_message(listing: OverdueList) -> Message:
    """The answer to `/promise list overdue [tracker]`."""
    where = f" in `{escape(listing.tracker)}`" if listing.tracker else ""
    count = plural(listing.total, "promise")
    blocks = [
        section(f":alarm_clock: {count} past their deadline{where}"),
        context("Not rated Promise Kept or Promise Broken yet; most overdue first."),
    ]
    for item in listing.items:
        due = f" · {due_text(item.deadline)}" if item.deadline else ""
        blocks.append(_listed(item, f"{item.rating.emoji} {item.rating.label}{due}"))
    return Message(
        f"{count} past their deadline",
        fit(blocks, tail=_and_more(listing.total, len(listing.items))),
    )


def _listed(item: PromiseSummary, facts: str) -> Block:
    """One promise of a list, with its *Show* button; `facts` is mrkdwn, already escaped."""
    return section(
        f"*{escape(item.title)}*\n`{escape(item.tracker)}/{escape(item.external_id)}` · {facts}",
        accessory=button("Show", Act.PICK, str(item.id)),
    )


def _and_more(total: int, shown: int) -> Block | None:
    return context(f"and {total - shown} more") if total > shown else None


def scorecard_message(scores: list[TrackerScore]) -> Message:
    if not scores:
        return Message(
            "No trackers yet.", [section("No trackers yet. Import one with `promisebot import`.")]
        )
    blocks: list[Block] = [header("Scorecard")]
    for score in scores[:10]:
        lines = [
            f"*{escape(score.name)}* (`{escape(score.slug)}`) · {plural(score.total, 'promise')}"
        ]
        for rating, count in score.counts:
            lines.append(f"{rating.emoji} {rating.label}: *{count}* {bar(count, score.total)}")
        blocks.append(section("\n".join(lines)))
        blocks.append(divider())
    return Message("Scorecard", fit(blocks[:-1]))


def bar(count: int, total: int, width: int = 12) -> str:
    """A text bar for a share of the total, e.g. `▇▇▇░░░░░░░░░`."""
    filled = round(width * count / total) if total else 0
    return "`" + "▇" * filled + "░" * (width - filled) + "`"


def help_message() -> Message:
    ratings = ", ".join(rating.label for rating in Rating)
    text = "\n".join(
        [
            "*Look up a promise*",
            "`/promise police liability` — search by words (typos are fine) or by id",
            "`/promise list stalled [tracker]` — promises with a rating",
            "`/promise list overdue [tracker]` — promises past their deadline",
            "`/promise stats [tracker]` — the scorecard",
            "",
            "*Editors*",
            "`/promise propose <words or id>` — propose a new rating for peer review",
            "`/promise evidence <id> <url> [note]` — add evidence",
            "`/promise snooze <id> <days>` — no stalled reminders for a while",
            "`/promise due <id> <YYYY-MM-DD> [label]` · `/promise due <id> none` — set or clear "
            "a deadline",
            "`/promise alias <id> <words>` · `/promise unalias <id> <words>` — the desk's own "
            "words for a promise; `/promise alias <id>` lists them",
            "`/promise remind here mon,thu 09:00 [30]` — still-stalled digests in this channel",
            "`/promise remind list` · `/promise remind off <id>`",
            "",
            f"Ratings: {ratings}.",
        ]
    )
    return Message("How to use /promise", [section(text)])


def error_message(text: str) -> Message:
    return Message(escape(text), [section(f":warning: {escape(text)}")])
