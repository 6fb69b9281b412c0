"""Still-stalled reminders in Slack: `/promise remind here|list|off`, `/promise snooze`, and
the *Reviewed — still stalled* / *Snooze* actions on a posted digest or an editor's card."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from promisebot.domain import DomainError, NotAnEditor
from promisebot.services import Services
from promisebot.services.digests import parse_snooze_args
from promisebot.services.schedule_times import USAGE, parse_schedule_id, parse_schedule_spec
from promisebot.slack.blocks import digest as render
from promisebot.slack.blocks.common import Act, Block, Message
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation
from promisebot.slack.messenger import Messenger
from promisebot.slack.requests import ActionRequest

log = logging.getLogger(__name__)

REMIND_USAGE = (
    f"{USAGE} `/promise remind list` shows this channel's reminders; "
    "`/promise remind off <id>` turns one off."
)
MANAGE = "manage reminder schedules"


def register(app: App, router: CommandRouter, services: Services, messenger: Messenger) -> None:
    tz = services.settings.tz
    digest_messages = DigestMessages(messenger)

    def schedules_changed() -> None:
        # Runs after the ack; the scheduler's periodic sync catches up if this fails.
        try:
            services.on_schedules_changed()
        except Exception:
            log.exception("could not sync the scheduler after a schedule change")

    def remind_command(invocation: Invocation) -> CommandReply:
        request = invocation.request
        word, _, rest = invocation.args.partition(" ")
        action = word.lower()
        if action not in ("here", "list", "off"):
            raise DomainError(REMIND_USAGE)
        # Checked first, so a non-editor hears "editors only", not a lesson in syntax.
        if not services.permissions.is_editor(request.user_id):
            raise NotAnEditor(MANAGE)
        if action == "list":
            return CommandReply(
                render.render_schedule_list(services.schedules.list(request.channel_id))
            )
        if action == "here":
            spec = parse_schedule_spec(rest)
            info = services.schedules.create(request.channel_id, request.user_id, spec)
        else:
            schedule_id = parse_schedule_id(rest)
            info = services.schedules.disable(schedule_id, request.user_id, request.channel_id)
        return CommandReply(render.render_schedule_saved(info), after=schedules_changed)

    def snooze_command(invocation: Invocation) -> CommandReply:
        user = invocation.request.user_id
        if not services.permissions.is_editor(user):
            raise NotAnEditor("snooze reminders")
        ref, days = parse_snooze_args(invocation.args)
        result = services.digests.snooze_by_ref(ref, user, days)
        return CommandReply(render.render_snoozed(result, days, tz))

    router.add("remind", remind_command)
    router.add("snooze", snooze_command)

    @app.action(Act.REVIEWED)
    def handle_reviewed(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        request = ActionRequest.from_body(body)
        try:
            promise_id = render.parse_reviewed_value(request.value)
        except ValueError:
            log.warning("ignoring a Reviewed press with value %r", request.value)
            return
        try:
            done = services.digests.mark_reviewed(promise_id, request.user_id)
        except DomainError as error:
            _tell(messenger, request, error_message(str(error)))
            return
        note = render.reviewed_note(request.user_id)
        if not digest_messages.mark_done(request, body, done.promise_id, note):
            _tell(messenger, request, render.render_reviewed(done))

    @app.action(Act.SNOOZE)
    def handle_snooze(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        request = ActionRequest.from_body(body)
        try:
            promise_id, days = render.parse_snooze_value(request.value)
        except ValueError:
            log.warning("ignoring a Snooze choice with value %r", request.value)
            return
        try:
            done = services.digests.snooze(promise_id, request.user_id, days)
        except DomainError as error:
            _tell(messenger, request, error_message(str(error)))
            return
        note = render.snoozed_note(request.user_id, days, done.snoozed_until, tz)
        if not digest_messages.mark_done(request, body, done.promise_id, note):
            _tell(messenger, request, render.render_snoozed(done, days, tz))


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


def _tell(messenger: Messenger, request: ActionRequest, message: Message) -> None:
    """An answer only the presser sees, where they pressed: through the response_url on a
    message, or as a direct message from App Home (which has neither)."""
    if request.response_url:
        messenger.respond(request.response_url, message)
    elif request.channel_id:
        messenger.ephemeral(request.channel_id, request.user_id, message)
    else:
        messenger.post(request.user_id, message)
