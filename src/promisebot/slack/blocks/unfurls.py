"""Link previews (unfurls) of a promise's public page: the live card in brief."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from promisebot.services.lookup import PromiseCard
from promisebot.slack.blocks.common import (
    Act,
    Block,
    actions,
    button,
    context,
    escape,
    format_day,
    link,
    plural,
    rating_badge,
    section,
    truncate,
)


def unfurl_blocks(card: PromiseCard, tz: ZoneInfo) -> list[Block]:
    """Title, tracker, rating with its emoji and since when, the latest evidence, *Look up*."""
    title = (
        link(card.source_url, truncate(card.title, 200)) if card.source_url else escape(card.title)
    )
    blocks: list[Block] = [
        section(
            f"*{title}*\n{escape(card.tracker_name)} · "
            f"`{escape(card.tracker)}/{escape(card.external_id)}`"
        ),
        section(
            f"{rating_badge(card.rating)} since {format_day(card.rated_at, tz)} "
            f"({plural(card.days_held, 'day')})"
        ),
    ]
    if card.evidence:
        latest = card.evidence[0]
        when = format_day(latest.published_on or latest.added_at, tz)
        source = f" — {escape(latest.publisher)}" if latest.publisher else ""
        shown = link(latest.url, truncate(latest.title or latest.url, 150))
        blocks.append(context(f"Latest evidence, {when}: {shown}{source}"))
    else:
        blocks.append(context("No evidence recorded yet."))
    blocks.append(
        actions(button("Look up", Act.LOOK_UP, str(card.id)), block_id=f"unfurl:{card.id}")
    )
    return blocks
