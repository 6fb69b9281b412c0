"""Rendering for aliases: a promise's list (learned ones marked) and the add/remove replies."""

from __future__ import annotations

from promisebot.services.lookup.aliases import PromiseAliases
from promisebot.slack.blocks.common import MAX_TEXT, Message, context, escape, section, truncate

USAGE = (
    "Usage: `/promise alias <id> <words>` adds an alias, `/promise unalias <id> <words>` "
    "removes one, `/promise alias <id>` lists them; e.g. `/promise alias tpp-withdraw tpp`."
)


def aliases_message(listing: PromiseAliases) -> Message:
    """The promise's aliases, after a change or when asked for."""
    changed = listing.changed
    name = f"`{escape(listing.external_id)}`"
    if changed is None:
        lead = f"Aliases of {name} ({escape(truncate(listing.title, 150))}):"
    elif any(item.text == changed.text for item in listing.aliases):
        lead = f":white_check_mark: Added the alias *{escape(changed.text)}* to {name}."
    else:
        kind = "learned alias" if changed.learned else "alias"
        lead = f":wastebasket: Removed the {kind} *{escape(changed.text)}* from {name}."
    lines = [
        f"• {escape(item.text)}" + (" _(learned)_" if item.learned else "")
        for item in listing.aliases
    ]
    body = "\n".join(lines) if lines else "_No aliases yet._"
    blocks = [section(truncate(f"{lead}\n{body}", MAX_TEXT))]
    if changed is None:
        blocks.append(
            context(
                "Learned aliases come from picks: a query teaches a promise once two people "
                "(or one editor) pressed it on that query's pick-list."
            )
        )
    return Message(truncate(lead, 300), blocks)
