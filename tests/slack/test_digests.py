"""Still-stalled digests in Slack, end to end: a digest posted by the real runner, editors
answering it (*Reviewed — still stalled*, *Snooze*) over signed HTTP, `/promise snooze`,
and posting within Slack's limits and rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Row, insert, select, update

from promisebot.db.models import AuditEvent, Promise, ReminderSchedule, Tracker
from promisebot.domain import Rating
from promisebot.scheduler import DigestRunner, RunOutcome, RunStatus
from promisebot.slack.blocks.common import Act, Views, actions
from promisebot.slack.blocks.digest import ACTIONS_BLOCK, reviewed_button, snooze_select
from tests.blocks import assert_valid_blocks
from tests.factories import add_promise
from tests.slack.bot import EDITORS, REPORTER, Bot

EDITOR = EDITORS[0]
DIGEST_CHANNEL = "C_DIGEST"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # FakeClock's start
# The demo tracker's Stalled promises last reviewed over 30 days before NOW.
DEMO_DUE = {
    "rent-cap",
    "halve-energy-prices",
    "birthright-citizenship",
    "congress-term-limits",
    "police-liability",
}
# Past its deadline (and not stalled): the digest's second section.
DEMO_OVERDUE = {"close-education-department"}


# -- helpers -------------------------------------------------------------------------------


def runner(bot: Bot) -> DigestRunner:
    return DigestRunner(bot.runtime.services, bot.runtime.messenger, "test-runner")


def add_schedule(bot: Bot, channel: str = DIGEST_CHANNEL) -> int:
    """A daily reminder set up the way an editor does it."""
    reply = bot.driver.command("remind here daily 09:00 30", user=EDITOR, channel=channel)
    assert reply.json()["text"].startswith("Reminder set")
    with bot.db.reading() as uow:
        schedule_id = uow.session.scalar(
            select(ReminderSchedule.id).where(ReminderSchedule.channel_id == channel)
        )
    assert schedule_id is not None
    return schedule_id


def only_schedule_id(bot: Bot) -> int:
    with bot.db.reading() as uow:
        [schedule_id] = uow.session.scalars(select(ReminderSchedule.id)).all()
    return schedule_id


def run_digest(bot: Bot, schedule_id: int) -> RunOutcome:
    return runner(bot).run_schedule(schedule_id, bot.clock())


def post_digest(bot: Bot) -> dict[str, Any]:
    """Post a digest to DIGEST_CHANNEL; returns the message as Slack holds it."""
    outcome = run_digest(bot, add_schedule(bot))
    assert outcome.status is RunStatus.POSTED
    assert outcome.message_ts is not None
    message = bot.fake.message(DIGEST_CHANNEL, outcome.message_ts)
    assert message is not None
    return message


def open_items(message: dict[str, Any]) -> list[int]:
    """Promise ids whose actions are still on the message, in order."""
    return [
        int(block["block_id"].removeprefix(ACTIONS_BLOCK))
        for block in message["blocks"]
        if str(block.get("block_id", "")).startswith(ACTIONS_BLOCK)
    ]


def item_actions(message: dict[str, Any], promise_id: int) -> dict[str, dict[str, Any]]:
    [block] = [b for b in message["blocks"] if b.get("block_id") == f"{ACTIONS_BLOCK}{promise_id}"]
    return {element["action_id"]: element for element in block["elements"]}


def snooze_option(message: dict[str, Any], promise_id: int, label: str) -> str:
    menu = item_actions(message, promise_id)[Act.SNOOZE]
    [value] = [o["value"] for o in menu["options"] if o["text"]["text"] == label]
    return str(value)


def notes(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]
        for block in message["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]


def current(bot: Bot, message: dict[str, Any]) -> dict[str, Any]:
    found = bot.fake.message(DIGEST_CHANNEL, message["ts"])
    assert found is not None
    return found


def due_ids(bot: Bot) -> set[int]:
    """Promises a digest would list now, in either section."""
    content = bot.runtime.services.digests.collect_due(30)
    return {item.promise_id for item in (*content.items, *content.overdue)}


def promise_row(bot: Bot, promise_id: int) -> Row[Any]:
    table = Promise.__table__
    with bot.db.reading() as uow:
        return uow.session.execute(select(table).where(table.c.id == promise_id)).one()


def audit(bot: Bot, action: str) -> list[Row[Any]]:
    table = AuditEvent.__table__
    with bot.db.reading() as uow:
        statement = select(table).where(table.c.action == action).order_by(table.c.id)
        return list(uow.session.execute(statement).all())


def press_reviewed(bot: Bot, promise_id: int, **options: Any) -> None:
    options.setdefault("channel", DIGEST_CHANNEL)
    response = bot.driver.block_action(Act.REVIEWED, str(promise_id), **options)
    assert response.status_code == 200


def choose_snooze(bot: Bot, value: str, **options: Any) -> None:
    options.setdefault("channel", DIGEST_CHANNEL)
    response = bot.driver.block_action(Act.SNOOZE, value, action_type="static_select", **options)
    assert response.status_code == 200


# -- the posted digest ---------------------------------------------------------------------


def test_the_digest_lists_the_overdue_stalled_promises_with_their_actions(bot: Bot) -> None:
    message = post_digest(bot)

    assert_valid_blocks(message["blocks"])
    expected = {bot.promise_id(external_id) for external_id in DEMO_DUE | DEMO_OVERDUE}
    assert set(open_items(message)) == expected == due_ids(bot)
    first = open_items(message)[0]
    buttons = item_actions(message, first)
    assert buttons[Act.REVIEWED]["value"] == str(first)
    assert buttons[Act.PROPOSE]["value"] == str(first)
    assert [o["text"]["text"] for o in buttons[Act.SNOOZE]["options"]] == [
        "7 days",
        "30 days",
        "90 days",
    ]


def test_reviewed_updates_the_digest_and_the_promise_leaves_the_next_one(bot: Bot) -> None:
    message = post_digest(bot)
    reviewed, *others = open_items(message)
    before = promise_row(bot, reviewed).last_reviewed_at
    bot.clock.advance(minutes=5)

    press_reviewed(bot, reviewed, user=EDITOR)

    [updated] = bot.fake.wait_for("chat.update")
    assert (updated.args["channel"], updated.args["ts"]) == (DIGEST_CHANNEL, message["ts"])
    shown = current(bot, message)
    assert_valid_blocks(shown["blocks"])
    assert open_items(shown) == others
    assert f":white_check_mark: Reviewed by <@{EDITOR}> — still stalled" in notes(shown)
    assert shown["text"] == message["text"]
    row = promise_row(bot, reviewed)
    assert row.last_reviewed_at == bot.clock() != before
    assert row.current_rating is Rating.STALLED
    [event] = audit(bot, "promise.reviewed_still_stalled")
    assert (event.actor, event.subject_id) == (EDITOR, str(reviewed))
    assert due_ids(bot) == set(others)
    assert bot.fake.calls("response_url") == []

    bot.clock.advance(days=1)
    next_digest = run_digest(bot, only_schedule_id(bot))
    assert next_digest.status is RunStatus.POSTED
    assert next_digest.message_ts is not None
    again = bot.fake.message(DIGEST_CHANNEL, next_digest.message_ts)
    assert again is not None
    assert open_items(again) == others


def test_snooze_updates_the_digest_and_the_promise_leaves_digests(bot: Bot) -> None:
    message = post_digest(bot)
    first, snoozed, *rest = open_items(message)

    choose_snooze(bot, snooze_option(message, snoozed, "30 days"), user=EDITOR)

    bot.fake.wait_for("chat.update")
    shown = current(bot, message)
    assert_valid_blocks(shown["blocks"])
    assert open_items(shown) == [first, *rest]
    assert f":zzz: Snoozed for 30 days by <@{EDITOR}> (until Dec 25, 2026)" in notes(shown)
    assert promise_row(bot, snoozed).snoozed_until == NOW + timedelta(days=30)
    [event] = audit(bot, "promise.snoozed")
    assert (event.actor, event.subject_id, event.details["days"]) == (EDITOR, str(snoozed), 30)
    assert snoozed not in due_ids(bot)

    bot.clock.advance(days=31)
    assert snoozed in due_ids(bot)


def test_answers_from_two_editors_on_one_digest_both_stay_on_it(bot: Bot) -> None:
    message = post_digest(bot)
    first, second, *rest = open_items(message)
    snooze = snooze_option(message, second, "7 days")

    # Both pressed on the digest as it was first posted (neither saw the other's answer).
    press_reviewed(bot, first, user=EDITORS[0], message=message)
    bot.fake.wait_for("chat.update")
    choose_snooze(bot, snooze, user=EDITORS[1], message=message)
    bot.fake.wait_for("chat.update", count=2)

    shown = current(bot, message)
    assert open_items(shown) == rest
    assert f":white_check_mark: Reviewed by <@{EDITORS[0]}> — still stalled" in notes(shown)
    assert f":zzz: Snoozed for 7 days by <@{EDITORS[1]}> (until Dec 2, 2026)" in notes(shown)
    assert due_ids(bot) == set(rest)


def test_propose_change_on_a_digest_opens_the_propose_modal(bot: Bot) -> None:
    message = post_digest(bot)
    promise_id = bot.promise_id("police-liability")
    value = item_actions(message, promise_id)[Act.PROPOSE]["value"]
    trigger_id = bot.fake.issue_trigger_id()

    bot.driver.block_action(
        Act.PROPOSE, value, user=EDITOR, channel=DIGEST_CHANNEL, trigger_id=trigger_id
    )

    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["trigger_id"] == trigger_id
    assert opened.args["view"]["callback_id"] == Views.PROPOSE
    assert "Increase liability protections for police" in repr(opened.args["view"]["blocks"])
    assert current(bot, message)["blocks"] == message["blocks"]


def test_reporters_cannot_answer_a_digest(bot: Bot) -> None:
    message = post_digest(bot)
    promise_id = open_items(message)[0]
    before = promise_row(bot, promise_id)

    press_reviewed(bot, promise_id, user=REPORTER)
    choose_snooze(bot, snooze_option(message, promise_id, "90 days"), user=REPORTER)

    # The two presses are answered after their acks, on separate threads: in either order.
    first, second = sorted(
        bot.fake.wait_for("response_url", count=2),
        key=lambda call: "snooze" in call.args["text"],
    )
    assert "Only editors can mark promises as reviewed" in first.args["text"]
    assert "Only editors can snooze reminders" in second.args["text"]
    assert first.args["response_type"] == second.args["response_type"] == "ephemeral"
    assert not first.args["replace_original"]
    assert bot.fake.calls("chat.update") == []
    assert current(bot, message)["blocks"] == message["blocks"]
    assert promise_row(bot, promise_id) == before
    assert audit(bot, "promise.reviewed_still_stalled") == audit(bot, "promise.snoozed") == []
    assert promise_id in due_ids(bot)


def test_a_promise_rated_since_the_digest_is_not_marked_reviewed(bot: Bot) -> None:
    message = post_digest(bot)
    promise_id = open_items(message)[0]
    with bot.db.transaction() as uow:
        uow.session.execute(
            update(Promise)
            .where(Promise.id == promise_id)
            .values(current_rating=Rating.PROMISE_BROKEN)
        )
        uow.commit()
    before = promise_row(bot, promise_id)

    press_reviewed(bot, promise_id, user=EDITOR)

    [reply] = bot.fake.wait_for("response_url")
    assert "is now rated Promise Broken, so it is no longer stalled" in reply.args["text"]
    assert bot.fake.calls("chat.update") == []
    assert promise_row(bot, promise_id) == before


def test_unknown_or_malformed_values_change_nothing(bot: Bot) -> None:
    message = post_digest(bot)

    press_reviewed(bot, 0, user=EDITOR, message=message)  # "0" is a number but no promise
    bot.driver.block_action(Act.REVIEWED, "abc", user=EDITOR, channel=DIGEST_CHANNEL)
    choose_snooze(bot, "nonsense", user=EDITOR)

    [reply] = bot.fake.wait_for("response_url")
    assert "could not be found" in reply.args["text"]
    assert bot.fake.calls("chat.update") == []
    assert due_ids(bot) == set(open_items(message))


# -- the same actions on an editor's card (ephemeral) and in App Home ----------------------


def card(promise_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An ephemeral card carrying the digest's controls, and its container."""
    ts = "1700000000.000100"
    blocks = [actions(reviewed_button(promise_id), snooze_select(promise_id))]
    message = {"type": "message", "ts": ts, "text": "", "blocks": blocks}
    container = {"type": "message", "message_ts": ts, "channel_id": "C_DESK", "is_ephemeral": True}
    return message, container


def test_reviewed_on_a_card_confirms_to_the_presser(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    message, container = card(promise_id)

    press_reviewed(bot, promise_id, user=EDITOR, message=message, container=container)

    [reply] = bot.fake.wait_for("response_url")
    assert reply.args["text"].startswith(
        ":white_check_mark: Marked *Increase liability protections for police"
    )
    assert "(`police-liability`) as reviewed — still stalled" in reply.args["text"]
    assert reply.args["response_type"] == "ephemeral"
    assert_valid_blocks(reply.args["blocks"])
    assert bot.fake.calls("chat.update") == []
    assert promise_row(bot, promise_id).last_reviewed_at == NOW
    assert promise_id not in due_ids(bot)


def test_snooze_on_a_card_confirms_to_the_presser(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    message, container = card(promise_id)
    [value] = [
        o["value"] for o in snooze_select(promise_id)["options"] if o["value"].endswith(":90")
    ]

    choose_snooze(bot, value, user=EDITOR, message=message, container=container)

    [reply] = bot.fake.wait_for("response_url")
    assert ":zzz: Snoozed *" in reply.args["text"]
    assert "for 90 days, until Feb 23, 2027" in reply.args["text"]
    assert bot.fake.calls("chat.update") == []
    assert promise_row(bot, promise_id).snoozed_until == NOW + timedelta(days=90)


def test_reviewed_from_app_home_is_confirmed_in_a_direct_message(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    view = {"id": "VHOME", "type": "home", "blocks": [actions(reviewed_button(promise_id))]}

    bot.driver.block_action(
        Act.REVIEWED, str(promise_id), user=EDITOR, channel=None, view=view, response_url=False
    )

    [dm] = bot.fake.wait_for("chat.postMessage")
    assert dm.args["channel"] == EDITOR
    assert "as reviewed — still stalled" in dm.args["text"]
    assert promise_id not in due_ids(bot)


# -- /promise snooze ---------------------------------------------------------------------------


def snooze_command(bot: Bot, args: str, user: str = EDITOR) -> str:
    response = bot.driver.command(f"snooze {args}", user=user)
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert_valid_blocks(body["blocks"])
    return str(body["text"])


def test_snooze_command_snoozes_and_lifts(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")

    text = snooze_command(bot, "police-liability 30")

    assert text.startswith(":zzz: Snoozed *Increase liability protections for police")
    assert "for 30 days, until Dec 25, 2026: it stays out of still-stalled digests" in text
    assert promise_row(bot, promise_id).snoozed_until == NOW + timedelta(days=30)
    assert promise_id not in due_ids(bot)

    text = snooze_command(bot, "trump-2025/police-liability 0")

    assert text.startswith(":bell: Snooze lifted:")
    assert promise_row(bot, promise_id).snoozed_until is None
    assert promise_id in due_ids(bot)
    assert [e.action for e in audit(bot, "promise.snoozed") + audit(bot, "promise.unsnoozed")] == [
        "promise.snoozed",
        "promise.unsnoozed",
    ]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ("", "Give a promise id and a number of days."),
        ("police-liability", "Give a promise id and a number of days."),
        ("police-liability soon", "'soon' is not a number of days."),
        ("police-liability 400", "Snooze for at most 365 days."),
        # The one PromiseNotFound, worded as lookup words it.
        ("no-such-promise 30", "No promise matches `no-such-promise`."),
        ("nowhere/police-liability 30", "No promise matches `nowhere/police-liability`."),
    ],
)
def test_snooze_command_bad_input_changes_nothing(bot: Bot, args: str, problem: str) -> None:
    text = snooze_command(bot, args)

    assert problem in text
    if "number of days" in problem or "most" in problem:
        assert "e.g. `/promise snooze police-liability 30`" in text
    assert audit(bot, "promise.snoozed") == []
    assert promise_row(bot, bot.promise_id("police-liability")).snoozed_until is None


def test_snooze_command_asks_which_tracker_when_the_id_is_ambiguous(bot: Bot) -> None:
    add_promise(
        bot.db,
        "police-liability",
        now=NOW,
        stalled_days=90,
        tracker="rivera-mayor",
        title="City police liability",
    )

    text = snooze_command(bot, "police-liability 30")

    assert "`police-liability` is in several trackers; say which:" in text
    assert "`rivera-mayor/police-liability`, `trump-2025/police-liability`" in text
    assert audit(bot, "promise.snoozed") == []
    assert snooze_command(bot, "rivera-mayor/police-liability 30").startswith(
        ":zzz: Snoozed *City police liability*"
    )


def test_reporters_cannot_snooze(bot: Bot) -> None:
    text = snooze_command(bot, "police-liability 30", user=REPORTER)

    assert "Only editors can snooze reminders" in text
    assert promise_row(bot, bot.promise_id("police-liability")).snoozed_until is None
    assert audit(bot, "promise.snoozed") == []


# -- posting within Slack's limits -------------------------------------------------------------


def test_a_rate_limited_digest_is_posted_exactly_once(bot: Bot) -> None:
    schedule_id = add_schedule(bot)
    bot.fake.fail_next("chat.postMessage", status=429, retry_after=0)

    outcome = run_digest(bot, schedule_id)

    assert outcome.status is RunStatus.POSTED
    [posted] = bot.fake.posted_messages()
    assert posted["channel"] == DIGEST_CHANNEL
    [refused] = bot.fake.failed_calls
    assert refused.method == "chat.postMessage"
    assert run_digest(bot, schedule_id).status is RunStatus.NOT_CLAIMED
    assert len(bot.fake.posted_messages()) == 1


def test_many_stalled_promises_fit_one_digest_with_a_count_of_the_rest(bot: Bot) -> None:
    with bot.db.transaction() as uow:
        tracker_id = uow.session.scalar(select(Tracker.id).where(Tracker.slug == "trump-2025"))
        uow.session.execute(
            insert(Promise),
            [
                {
                    "tracker_id": tracker_id,
                    "external_id": f"bulk-{n:03d}",
                    "title": f"Bulk promise {n} " + "with a long title " * 10,
                    "description": "",
                    "tags": [],
                    "current_rating": Rating.STALLED,
                    "rated_at": NOW - timedelta(days=40 + n),
                    "last_reviewed_at": NOW - timedelta(days=40 + n),
                    "source_url": "",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(500)
            ],
        )
        uow.commit()
    total = 500 + len(DEMO_DUE)

    message = post_digest(bot)

    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert_valid_blocks(blocks)
    assert blocks[0]["text"]["text"] == f"Still stalled: {total} promises"
    overdue = {bot.promise_id(external_id) for external_id in DEMO_OVERDUE}
    shown = [item for item in open_items(message) if item not in overdue]
    assert 0 < len(shown) < total
    assert f"…and {total - len(shown)} more — `/promise list stalled`" in notes(message)
    # The second section keeps its room however long the first one is.
    headers = [block["text"]["text"] for block in blocks if block["type"] == "header"]
    assert headers == [f"Still stalled: {total} promises", "Past their deadline: 1 promise"]
    assert [item for item in open_items(message) if item in overdue] == sorted(overdue)
    assert bot.fake.failed_calls == []
