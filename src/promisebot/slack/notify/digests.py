"""What a posted digest shows after an editor answers one of its items: the item's actions
replaced by a note (*Reviewed*, *Snoozed*), every note this process made kept in place."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from promisebot.slack.blocks import digest as render
from promisebot.slack.blocks.common import Block, Message
from promisebot.slack.messenger import Messenger
from promisebot.slack.requests import ActionRequest

log = logging.getLogger(__name__)


@dataclass
class _Answered:
    """What this process has written into one posted digest."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    notes: dict[int, str] = field(default_factory=dict)


class DigestMessages:
    """Replaces an answered item's actions with a note in the posted digest.

    Slack sends the message as the presser saw it, so two editors answering one digest at
    once would each update from their own copy and undo the other's note. Updates to one
    message are therefore serialised here and re-apply every note this process has made
    (the database is right regardless; this keeps the message honest).
    """

    REMEMBERED_MESSAGES = 200

    def __init__(self, messenger: Messenger) -> None:
        self._messenger = messenger
        self._lock = threading.Lock()
        self._answered: OrderedDict[tuple[str, str], _Answered] = OrderedDict()

    def mark_done(
        self, request: ActionRequest, body: dict[str, Any], promise_id: int, note: str
    ) -> bool:
        """Update the digest the press came from; False when it did not come from one (an
        ephemeral card, App Home) or the update failed, so the caller answers otherwise."""
        message = body.get("message") or {}
        blocks: list[Block] = list(message.get("blocks") or [])
        if (
            request.is_ephemeral
            or not request.channel_id
            or not request.message_ts
            or not _has_item(blocks, promise_id)
        ):
            return False
        answered = self._remember(request.channel_id, request.message_ts)
        with answered.lock:
            answered.notes[promise_id] = note
            for answered_id, answered_note in answered.notes.items():
                blocks = render.mark_item_done(blocks, answered_id, answered_note)
            updated = Message(text=str(message.get("text") or ""), blocks=blocks)
            try:
                self._messenger.update(request.channel_id, request.message_ts, updated)
            except SlackApiError as error:
                log.warning("could not update the digest: %s", error.response.get("error"))
                return False
        return True

    def _remember(self, channel: str, ts: str) -> _Answered:
        with self._lock:
            key = (channel, ts)
            answered = self._answered.setdefault(key, _Answered())
            self._answered.move_to_end(key)
            while len(self._answered) > self.REMEMBERED_MESSAGES:
                self._answered.popitem(last=False)
            return answered


def _has_item(blocks: list[Block], promise_id: int) -> bool:
    target = f"{render.ACTIONS_BLOCK}{promise_id}"
    return any(block.get("block_id") == target for block in blocks)
