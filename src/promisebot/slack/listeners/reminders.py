"""Still-stalled reminders in Slack: `/promise remind here|list|off`, `/promise snooze`, the
*Reviewed — still stalled* / *Snooze* actions on a posted digest or an editor's card, and
the parsing of those commands' words into typed arguments."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App

from promisebot.domain import DomainError
from promisebot.services import Services
from promisebot.services.reminders import (
    CHANGES,
    DAY_NAMES,
    SNOOZE_MAX_DAYS,
    InvalidSnooze,
    ScheduleSpec,
)
from promisebot.slack.acks import after_ack
from promisebot.slack.blocks import digest as render
from promisebot.slack.blocks.common import Act, Message
from promisebot.slack.blocks.lookup import error_message
from promisebot.slack.commands import CommandReply, CommandRouter, Invocation
from promisebot.slack.messenger import Messenger
from promisebot.slack.notify.digests import DigestMessages
from promisebot.slack.requests import ActionRequest

log = logging.getLogger(__name__)

THRESHOLD_MAX = 3650


def register(app: App, router: CommandRouter, services: Services, messenger: Messenger) -> None:
    tz = services.settings.tz
    digest_messages = DigestMessages(services.digests, messenger, tz)

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
        if action == "list":
            schedules = services.schedules.list_channel(request.channel_id, request.user_id)
            return CommandReply(render.render_schedule_list(schedules))
        if action not in ("here", "off"):
            raise DomainError(render.REMIND_USAGE)
        # Asked before parsing, so a non-editor hears "editors only", not a lesson in syntax.
        services.schedules.authorize(request.user_id)
        if action == "here":
            kind, _, words = rest.partition(" ")
            if kind.lower() == CHANGES:
                spec, tracker = parse_changes_spec(words)
                info = services.schedules.create(request.channel_id, request.user_id, spec, tracker)
            else:
                spec = parse_schedule_spec(rest)
                info = services.schedules.create(request.channel_id, request.user_id, spec)
        else:
            schedule_id = parse_schedule_id(rest)
            info = services.schedules.disable(schedule_id, request.user_id, request.channel_id)
        return CommandReply(render.render_schedule_saved(info), after=schedules_changed)

    def snooze_command(invocation: Invocation) -> CommandReply:
        ref, days = parse_snooze_args(invocation.args)
        result = services.digests.snooze_by_ref(ref, invocation.request.user_id, days)
        return CommandReply(render.render_snoozed(result, days, tz))

    router.add("remind", remind_command)
    router.add("snooze", snooze_command)

    @app.action(Act.REVIEWED)
    @after_ack
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
            _tell(messenger, request, error)
            return
        if not digest_messages.mark_done(request, body, done.promise_id):
            _tell(messenger, request, render.render_reviewed(done))

    @app.action(Act.SNOOZE)
    @after_ack
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
            _tell(messenger, request, error)
            return
        if not digest_messages.mark_done(request, body, done.promise_id):
            _tell(messenger, request, render.render_snoozed(done, days, tz))


def _tell(messenger: Messenger, request: ActionRequest, answer: Message | DomainError) -> None:
    """An answer only the presser sees, where they pressed (App Home has no channel)."""
    message = error_message(str(answer)) if isinstance(answer, DomainError) else answer
    messenger.tell(
        request.user_id,
        message,
        channel=request.channel_id,
        response_url=request.response_url,
    )


# -- the commands' words ---------------------------------------------------------------------


class InvalidSchedule(DomainError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem} {render.REMIND_HERE_USAGE}")


_DAY_ALIASES = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_DAY_GROUPS = {
    "weekdays": range(5),
    "weekday": range(5),
    "weekends": range(5, 7),
    "weekend": range(5, 7),
    "daily": range(7),
    "everyday": range(7),
}
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")
_THRESHOLD = re.compile(r"^(\d+)\s*(?:d|days?)?$")


def parse_days(text: str) -> tuple[int, ...]:
    """`mon,thu`, `mon-fri`, `weekdays`, `daily`, full names → sorted weekday numbers."""
    days: set[int] = set()
    for part in re.split(r"[,\s]+", text.strip().lower()):
        if not part:
            continue
        if part in _DAY_GROUPS:
            days.update(_DAY_GROUPS[part])
        elif "-" in part:
            start_text, _, end_text = part.partition("-")
            start, end = _DAY_ALIASES.get(start_text), _DAY_ALIASES.get(end_text)
            if start is None or end is None:
                raise InvalidSchedule(f"'{part}' is not a range of days.")
            # A range may wrap around the weekend: fri-mon is Fri, Sat, Sun, Mon.
            days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
        elif part in _DAY_ALIASES:
            days.add(_DAY_ALIASES[part])
        else:
            raise InvalidSchedule(f"'{part}' is not a day.")
    if not days:
        raise InvalidSchedule("Say which days the reminder should run.")
    return tuple(sorted(days))


def _days_and_time(words: list[str]) -> tuple[tuple[int, ...], int, int, list[str]]:
    """(days, hour, minute, the words after the time) of `<days> <HH:MM> …`."""
    at = next((i for i, word in enumerate(words) if _TIME.match(word)), None)
    if at is None:
        if any(":" in word for word in words):
            raise InvalidSchedule("The time must be 24-hour HH:MM, e.g. 09:00 or 17:30.")
        raise InvalidSchedule("Say what time the reminder should run.")
    if at == 0:
        raise InvalidSchedule("Say which days the reminder should run.")
    days = parse_days(" ".join(words[:at]))
    matched = _TIME.match(words[at])
    assert matched is not None
    return days, int(matched.group(1)), int(matched.group(2)), words[at + 1 :]


def parse_changes_spec(text: str) -> tuple[ScheduleSpec, str | None]:
    """Parse `<days> <HH:MM> [tracker]` (the words after `remind here changes`)."""
    days, hour, minute, rest = _days_and_time(text.split())
    if len(rest) > 1:
        raise InvalidSchedule(f"'{' '.join(rest)}' is not one tracker.")
    return ScheduleSpec(days, hour, minute, kind=CHANGES), rest[0].lower() if rest else None


def parse_schedule_spec(text: str) -> ScheduleSpec:
    """Parse `<days> <HH:MM> [threshold-days]` (the words after `remind here`)."""
    days, hour, minute, after = _days_and_time(text.split())
    threshold: int | None = None
    rest = " ".join(after)
    if rest:
        number = _THRESHOLD.match(rest)
        if number is None:
            raise InvalidSchedule(f"'{rest}' is not a number of days.")
        threshold = int(number.group(1))
        if not 1 <= threshold <= THRESHOLD_MAX:
            raise InvalidSchedule(f"The threshold must be 1 to {THRESHOLD_MAX} days.")
    return ScheduleSpec(days, hour, minute, threshold)


def parse_schedule_id(text: str) -> int:
    """The id in `remind off <id>` (`3` or `#3`)."""
    word = text.strip().removeprefix("#")
    if not word.isdigit() or int(word) < 1:
        raise DomainError(f"'{text.strip()}' is not a schedule id. {render.REMIND_OFF_USAGE}")
    return int(word)


def parse_snooze_args(text: str) -> tuple[str, int]:
    """`<id> <days>` of `/promise snooze` → (promise ref, days); 0 days lifts a snooze."""
    words = text.split()
    if len(words) != 2:
        raise InvalidSnooze(f"Give a promise id and a number of days. {render.SNOOZE_USAGE}")
    ref, days_word = words
    match = re.fullmatch(r"(\d+)(?:d|days?)?", days_word.lower())
    if match is None:
        raise InvalidSnooze(f"'{days_word}' is not a number of days. {render.SNOOZE_USAGE}")
    days = int(match.group(1))
    if days > SNOOZE_MAX_DAYS:
        raise InvalidSnooze(f"Snooze for at most {SNOOZE_MAX_DAYS} days. {render.SNOOZE_USAGE}")
    return ref, days
