"""What a posted digest shows after editors answer its items: each answered item's actions
replaced by a note (*Reviewed*, *Snoozed*), re-rendered from the database."""

from __future__ import annotations

import logging
import threading
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from promisebot.services.reminders import DigestService
from promisebot.slack.blocks import digest as render
from promisebot.slack.blocks.common import Block, Message
from promisebot.slack.messenger import Messenger
from promisebot.slack.requests import ActionRequest

log = logging.getLogger(__name__)

# Render-and-write rounds per update, as for proposal roots: a further round is needed only
# when another replica recorded an answer while this one was writing.
MAX_SYNC_ROUNDS = 4
MESSAGE_LOCK_STRIPES = 64


class DigestMessages:
    """Replaces answered items' actions with notes in a posted digest.

    Slack sends the message as the presser saw it, so two editors answering one digest at
    once (on two replicas) would each update from their own copy and undo the other's note.
    So every update renders the answers the database holds for the whole message, under a
    per-message lock in this process, and reads again after writing so that an answer
    another replica recorded meanwhile is shown too: the last update shows every answer.
    """

    def __init__(self, digests: DigestService, messenger: Messenger, tz: ZoneInfo) -> None:
        self._digests = digests
        self._messenger = messenger
        self._tz = tz
        # Striped rather than one per message: bounded, and collisions only serialise.
        self._locks = [threading.Lock() for _ in range(MESSAGE_LOCK_STRIPES)]

    def mark_done(self, request: ActionRequest, body: dict[str, Any], promise_id: int) -> bool:
        """Update the digest the press came from; False when it did not come from one (an
        ephemeral card, App Home) or the update failed, so the caller answers otherwise."""
        message = body.get("message") or {}
        blocks: list[Block] = list(message.get("blocks") or [])
        channel, ts = request.channel_id, request.message_ts
        if request.is_ephemeral or not channel or not ts:
            return False
        items = render.digest_item_ids(blocks)
        if promise_id not in items:
            return False
        text = str(message.get("text") or "")
        with self._locks[hash((channel, ts)) % len(self._locks)]:
            shown: list[Block] | None = None
            for _ in range(MAX_SYNC_ROUNDS):
                try:
                    answers = self._digests.answers(channel, ts, items)
                except Exception:
                    log.warning("could not read the digest's answers", exc_info=True)
                    return shown is not None
                rendered = blocks
                for answer in answers.values():
                    note = render.answer_note(answer, self._tz)
                    rendered = render.mark_item_done(rendered, answer.promise_id, note)
                if rendered == shown:
                    return True
                try:
                    self._messenger.update(channel, ts, Message(text, rendered))
                except SlackApiError as error:
                    log.warning("could not update the digest: %s", error.response.get("error"))
                    return shown is not None
                shown = rendered
        return True
