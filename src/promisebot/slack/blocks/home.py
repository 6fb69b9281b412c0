"""Rendering of the App Home tab: scorecards with bars, the viewer's review queue, the
longest-stalled and the overdue promises and the latest rating changes, always within a
view's limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from promisebot.services.follows import Following
from promisebot.services.home import (
    AwaitingReview,
    HomeDashboard,
    OverduePromise,
    RecentChange,
    StalledPromise,
)
from promisebot.services.lookup import TrackerScore
from promisebot.slack.blocks.common import (
    MAX_TEXT,
    MAX_VIEW_BLOCKS,
    Block,
    context,
    divider,
    escape,
    format_day,
    header,
    link,
    plural,
    section,
    truncate,
)
from promisebot.slack.blocks.deadlines import LIST_OVERDUE, due_text
from promisebot.slack.blocks.follows import home_blocks
from promisebot.slack.blocks.lookup import bar

TITLE_SHOWN = 120


def home_view(
    dashboard: HomeDashboard,
    tz: ZoneInfo,
    *,
    permalinks: dict[int, str] | None = None,
    following: Following | None = None,
) -> dict[str, Any]:
    """The `home` view for `views.publish`; the service caps every list, and the block count
    is capped here too, so the view fits at any size."""
    blocks: list[Block] = [
        header("Promise tracker"),
        context(
            f"Updated {format_day(dashboard.generated_at, tz)} · "
            "`/promise <words>` to look a promise up · `/promise help` for more"
        ),
        *_scorecard_blocks(dashboard),
        divider(),
    ]
    if dashboard.is_editor:
        blocks.extend(_review_blocks(dashboard, tz, permalinks or {}))
        blocks.append(divider())
    blocks.extend(_stalled_blocks(dashboard, tz))
    blocks.extend(_overdue_blocks(dashboard))
    blocks.append(divider())
    blocks.extend(_change_blocks(dashboard, tz))
    if following is not None:
        # Kept whole, the toggles last: the dashboard above gives way if the view is full.
        follow_blocks = [divider(), *home_blocks(following)]
        blocks = [*blocks[: MAX_VIEW_BLOCKS - len(follow_blocks)], *follow_blocks]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _scorecard_blocks(dashboard: HomeDashboard) -> list[Block]:
    if not dashboard.scores:
        return [section("No trackers yet. Import one with `promisebot import`.")]
    blocks: list[Block] = [header("Scorecards")]
    blocks.extend(section(_score_text(score)) for score in dashboard.scores)
    more = dashboard.trackers_total - len(dashboard.scores)
    if more > 0:
        blocks.append(
            context(f"and {plural(more, 'more tracker')} · `/promise stats <tracker>` for one")
        )
    return blocks


def _score_text(score: TrackerScore) -> str:
    name = escape(truncate(score.name, TITLE_SHOWN))
    about = f" — {escape(truncate(score.subject, TITLE_SHOWN))}" if score.subject else ""
    lines = [
        f"*{name}*{about}\n`{escape(score.slug)}` · {plural(score.total, 'promise')}",
        *(
            f"{bar(count, score.total)} {rating.emoji} {rating.label}: *{count}*"
            for rating, count in score.counts
        ),
    ]
    return truncate("\n".join(lines), MAX_TEXT)


def _review_blocks(
    dashboard: HomeDashboard, tz: ZoneInfo, permalinks: dict[int, str]
) -> list[Block]:
    blocks: list[Block] = [header("Waiting for your review")]
    if not dashboard.awaiting:
        blocks.append(context("Nothing is waiting for you. :tada:"))
        return blocks
    blocks.extend(section(_awaiting_text(item, tz, permalinks)) for item in dashboard.awaiting)
    more = dashboard.awaiting_total - len(dashboard.awaiting)
    if more > 0:
        blocks.append(context(f"and {more} more, oldest first"))
    return blocks


def _awaiting_text(item: AwaitingReview, tz: ZoneInfo, permalinks: dict[int, str]) -> str:
    thread = permalinks.get(item.proposal_id)
    opened = f" · {link(thread, 'Open the thread')}" if thread else ""
    return (
        f"{_promise_name(item.title, item.tracker, item.external_id)}\n"
        f"{item.from_rating.emoji} {item.from_rating.label} → "
        f"{item.to_rating.emoji} *{item.to_rating.label}* · proposed by "
        f"<@{escape(item.proposed_by)}> on {format_day(item.created_at, tz)} · "
        f"{item.approvals}/{item.approvals_required} approvals"
        f"{', one from a senior editor' if item.senior_required else ''}{opened}"
    )


def _stalled_blocks(dashboard: HomeDashboard, tz: ZoneInfo) -> list[Block]:
    blocks: list[Block] = [header("Longest stalled")]
    if not dashboard.stalled:
        blocks.append(context("No promise is rated Stalled."))
        return blocks
    blocks.append(section(_packed(_stalled_line(item, tz) for item in dashboard.stalled)))
    blocks.append(
        context(
            f"{plural(dashboard.stalled_total, 'promise')} rated Stalled in all · "
            "`/promise list stalled` for the full list"
        )
    )
    return blocks


def _stalled_line(item: StalledPromise, tz: ZoneInfo) -> str:
    line = (
        f"• {_promise_name(item.title, item.tracker, item.external_id)} — stalled "
        f"{plural(item.days_stalled, 'day')} (since {format_day(item.stalled_since, tz)})"
    )
    if item.snoozed_until:
        line += f" · :zzz: snoozed until {format_day(item.snoozed_until, tz)}"
    return line


def _overdue_blocks(dashboard: HomeDashboard) -> list[Block]:
    blocks: list[Block] = [header("Overdue")]
    if not dashboard.overdue:
        blocks.append(context("No promise is past its deadline."))
        return blocks
    blocks.append(section(_packed(_overdue_line(item) for item in dashboard.overdue)))
    blocks.append(
        context(
            f"{plural(dashboard.overdue_total, 'promise')} past their deadline in all, not rated "
            f"Promise Kept or Promise Broken · `{LIST_OVERDUE}` for the full list"
        )
    )
    return blocks


def _overdue_line(item: OverduePromise) -> str:
    return (
        f"• {_promise_name(item.title, item.tracker, item.external_id)} — "
        f"{due_text(item.deadline)} · {item.rating.label}"
    )


def _change_blocks(dashboard: HomeDashboard, tz: ZoneInfo) -> list[Block]:
    blocks: list[Block] = [header("Latest rating changes")]
    if not dashboard.changes:
        blocks.append(context("No rating changes recorded yet."))
        return blocks
    blocks.append(section(_packed(_change_line(item, tz) for item in dashboard.changes)))
    return blocks


def _change_line(item: RecentChange, tz: ZoneInfo) -> str:
    return (
        f"• {format_day(item.effective_at, tz)}: "
        f"{_promise_name(item.title, item.tracker, item.external_id)} — "
        f"{item.from_rating.label} → {item.to_rating.emoji} *{item.to_rating.label}*"
    )


def _promise_name(title: str, tracker: str, external_id: str) -> str:
    return (
        f"*{escape(truncate(title, TITLE_SHOWN))}* "
        f"(`{escape(truncate(tracker, 64))}/{escape(truncate(external_id, 100))}`)"
    )


def _packed(lines: Iterable[str]) -> str:
    """Whole lines up to a section's text limit (a line cut in half could break its mrkdwn)."""
    kept: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > MAX_TEXT:
            break
        kept.append(line)
    return "\n".join(kept)
