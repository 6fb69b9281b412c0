"""Deadlines over signed HTTP: `/promise due` sets and clears them (editors only, audited,
bad dates and labels refused), the card, `/promise list overdue`, the digest's "Past their
deadline" section, App Home's "Overdue" and a proposal's root for an overdue promise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from promisebot.db.models import AuditEvent, Promise
from promisebot.domain import NotAnEditor, Rating
from promisebot.scheduler import DigestRunner, RunStatus
from promisebot.slack.blocks.common import Act
from promisebot.slack.blocks.digest import ACTIONS_BLOCK
from tests.blocks import assert_valid_blocks
from tests.slack.bot import EDITORS, REPORTER, Bot
from tests.slack.proposal_helpers import Desk
from tests.slack.test_home import open_home, section_after

EDITOR = EDITORS[0]
DIGEST_CHANNEL = "C_DIGEST"
# The demo's deadlines, seen from the test clock's day (Nov 25, 2026 in New York).
OVERDUE = "close-education-department"  # due Apr 29, 2025 (first 100 days), In the Works
OVERDUE_LINE = "due Apr 29, 2025 (first 100 days) · overdue by 575 days"
SETTLED = "end-ukraine-war"  # due Jan 21, 2025 but rated Promise Broken: not overdue


def text_of(body: dict[str, Any]) -> str:
    return repr(body["blocks"])


def due(bot: Bot, words: str, user: str = EDITOR) -> dict[str, Any]:
    response = bot.driver.command(f"due {words}", user=user)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["response_type"] == "ephemeral"
    assert_valid_blocks(body["blocks"])
    return body


def deadline(bot: Bot, external_id: str) -> tuple[date | None, str]:
    with bot.db.reading() as uow:
        promise = uow.session.get(Promise, bot.promise_id(external_id))
        assert promise is not None
        return promise.due_on, promise.due_label


def audit(bot: Bot) -> list[tuple[str, str, dict[str, Any]]]:
    with bot.db.reading() as uow:
        rows = uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("promise.deadline%"))
            .order_by(AuditEvent.id)
        )
        return [(row.actor, row.action, dict(row.details)) for row in rows]


def card_text(bot: Bot, external_id: str) -> str:
    return text_of(bot.driver.command(external_id, user=EDITOR).json())


# -- setting and clearing -------------------------------------------------------------------


def test_an_editor_sets_and_clears_a_deadline_and_each_change_is_audited(bot: Bot) -> None:
    body = due(bot, "border-wall 2026-12-07 before the holidays")
    assert body["text"].startswith(":calendar: Deadline set: Finish the wall")
    assert "due in 12 days, on Dec 7, 2026 (before the holidays)" in text_of(body)
    assert deadline(bot, "border-wall") == (date(2026, 12, 7), "before the holidays")
    assert "due in 12 days, on Dec 7, 2026 (before the holidays)" in card_text(bot, "border-wall")

    # `tracker/id` names it as well; a date without a label drops the old label.
    due(bot, "trump-2025/border-wall 2025-01-01")
    assert deadline(bot, "border-wall") == (date(2025, 1, 1), "")
    assert "due Jan 1, 2025 · overdue by 693 days" in card_text(bot, "border-wall")

    body = due(bot, "border-wall none")
    assert "Deadline cleared" in body["text"]
    assert deadline(bot, "border-wall") == (None, "")
    assert "due " not in card_text(bot, "border-wall")
    assert "had no deadline" in due(bot, "border-wall none")["text"]

    promise_id = str(bot.promise_id("border-wall"))
    assert [(actor, action, details["due_on"]) for actor, action, details in audit(bot)] == [
        (EDITOR, "promise.deadline_set", "2026-12-07"),
        (EDITOR, "promise.deadline_set", "2025-01-01"),
        (EDITOR, "promise.deadline_cleared", None),
    ]
    assert audit(bot)[2][2]["previous_due_on"] == "2025-01-01"
    with bot.db.reading() as uow:
        subjects = uow.session.scalars(
            select(AuditEvent.subject_id).where(AuditEvent.action.like("promise.deadline%"))
        ).all()
    assert set(subjects) == {promise_id}


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("border-wall 12/07/2026", "'12/07/2026' is not a date; write the deadline as YYYY-MM-DD"),
        ("border-wall 2026-02-30", "'2026-02-30' is not a date; write the deadline as YYYY-MM-DD"),
        ("border-wall tomorrow", "'tomorrow' is not a date; write the deadline as YYYY-MM-DD"),
        ("border-wall 1899-12-31", "A deadline can't be before 1900; write it as YYYY-MM-DD"),
        ("border-wall 2026-12-07 " + "x" * 61, "label to 60 characters (it has 61)"),
        ("border-wall", "Give a promise id and a date."),
        ("no-such-promise 2026-12-07", "No promise matches `no-such-promise`"),
    ],
)
def test_bad_dates_and_labels_are_refused_naming_the_format(
    bot: Bot, words: str, expected: str
) -> None:
    body = due(bot, words)
    assert expected in body["text"]
    assert deadline(bot, "border-wall") == (None, "")
    assert audit(bot) == []


def test_a_label_of_exactly_sixty_characters_is_kept(bot: Bot) -> None:
    due(bot, "border-wall 2026-12-07 " + "y" * 60)
    assert deadline(bot, "border-wall") == (date(2026, 12, 7), "y" * 60)


def test_a_non_editor_is_refused_before_any_lesson_in_dates(bot: Bot) -> None:
    refused = str(NotAnEditor("set deadlines"))
    assert refused in due(bot, "border-wall 2026-12-07", user=REPORTER)["text"]
    assert refused in due(bot, "border-wall 12/07/2026", user=REPORTER)["text"]
    assert refused in due(bot, "close-education-department none", user=REPORTER)["text"]
    assert deadline(bot, "border-wall") == (None, "")
    assert deadline(bot, OVERDUE) == (date(2025, 4, 29), "first 100 days")
    # The rule is the service's: called directly, it refuses just the same.
    with pytest.raises(NotAnEditor):
        bot.runtime.services.deadlines.set("border-wall", REPORTER, date(2026, 12, 7))


def test_labels_are_stored_as_typed_and_escaped_on_the_card(bot: Bot) -> None:
    # Slack sends what was typed, `<b> & co`, with its three entities escaped.
    due(bot, "border-wall 2026-12-07 &lt;b&gt; &amp; co")
    assert deadline(bot, "border-wall") == (date(2026, 12, 7), "<b> & co")
    shown = card_text(bot, "border-wall")
    assert "(&lt;b&gt; &amp; co)" in shown
    assert "<b>" not in shown


# -- where deadlines show --------------------------------------------------------------------


def test_the_card_shows_an_overdue_deadline_and_a_settled_one_without_overdue(bot: Bot) -> None:
    assert OVERDUE_LINE in card_text(bot, OVERDUE)
    settled = card_text(bot, SETTLED)
    assert "due Jan 21, 2025 (within 24 hours)" in settled
    assert "overdue" not in settled


def test_list_overdue_lists_unsettled_promises_most_overdue_first(bot: Bot) -> None:
    due(bot, "border-wall 2026-01-01 end of 2025")
    due(bot, "rent-cap 2026-11-24 first year")
    due(bot, "body-cameras 2025-01-01")  # Promise Kept: settled, so not overdue
    due(bot, "mass-deportation 2026-11-25")  # due today: not overdue yet

    body = bot.driver.command("list overdue").json()
    assert_valid_blocks(body["blocks"])
    assert body["text"] == "3 promises past their deadline"
    shown = text_of(body)
    order = [shown.index(external_id) for external_id in (OVERDUE, "border-wall", "rent-cap")]
    assert order == sorted(order)
    assert OVERDUE_LINE in shown
    assert "due Nov 24, 2026 (first year) · overdue by 1 day" in shown
    for absent in ("body-cameras", "mass-deportation", SETTLED):
        assert absent not in shown

    mayor = bot.driver.command("list overdue rivera-mayor").json()
    assert mayor["text"] == "1 promise past their deadline"
    assert "rent-cap" in text_of(mayor) and OVERDUE not in text_of(mayor)
    assert "There is no tracker 'nowhere'" in bot.driver.command("list overdue nowhere").text
    assert "Usage" in bot.driver.command("list overdue a b").json()["text"]


def test_list_overdue_is_capped_with_a_count_of_the_rest(bot: Bot) -> None:
    with bot.db.transaction() as uow:
        uow.session.execute(
            update(Promise)
            .where(Promise.current_rating.not_in([Rating.PROMISE_KEPT, Rating.PROMISE_BROKEN]))
            .values(due_on=date(2026, 1, 1))
        )
        uow.commit()
    body = bot.driver.command("list overdue").json()
    assert_valid_blocks(body["blocks"])
    total = int(body["text"].split()[0])
    assert total > 20
    assert f"and {total - 20} more" in text_of(body)


# -- the digest --------------------------------------------------------------------------------


def post_digest(bot: Bot) -> tuple[RunStatus, dict[str, Any] | None]:
    """Run today's digest of DIGEST_CHANNEL's schedule (set up by an editor the first time)."""
    if not bot.runtime.services.schedules.list_channel(DIGEST_CHANNEL, EDITOR):
        reply = bot.driver.command(
            "remind here daily 09:00 30", user=EDITOR, channel=DIGEST_CHANNEL
        )
        assert reply.json()["text"].startswith("Reminder set")
    [schedule] = bot.runtime.services.schedules.list_channel(DIGEST_CHANNEL, EDITOR)
    runner = DigestRunner(bot.runtime.services, bot.runtime.messenger, "test-runner")
    outcome = runner.run_schedule(schedule.id, bot.clock())
    if outcome.message_ts is None:
        return outcome.status, None
    return outcome.status, bot.fake.message(DIGEST_CHANNEL, outcome.message_ts)


def headers(message: dict[str, Any]) -> list[str]:
    return [block["text"]["text"] for block in message["blocks"] if block["type"] == "header"]


def test_the_digest_has_a_past_their_deadline_section_with_its_buttons(bot: Bot) -> None:
    due(bot, "rent-cap 2026-01-01")  # stalled and overdue: listed once, as still stalled
    due(bot, "mass-deportation 2026-06-30 by summer")
    status, message = post_digest(bot)

    assert status is RunStatus.POSTED and message is not None
    assert_valid_blocks(message["blocks"])
    assert headers(message) == ["Still stalled: 5 promises", "Past their deadline: 2 promises"]
    blocks = message["blocks"]
    second = blocks.index(
        next(b for b in blocks if b.get("text", {}).get("text", "") == headers(message)[1])
    )
    overdue_part = repr(blocks[second:])
    assert overdue_part.index(OVERDUE) < overdue_part.index("mass-deportation")
    assert OVERDUE_LINE in overdue_part
    assert "due Jun 30, 2026 (by summer) · overdue by 148 days" in overdue_part
    assert "rent-cap" not in overdue_part and "rent-cap" in repr(blocks[:second])
    ids = [b["block_id"] for b in blocks if str(b.get("block_id", "")).startswith(ACTIONS_BLOCK)]
    assert len(ids) == len(set(ids)) == 7
    overdue_actions = next(
        b for b in blocks if b.get("block_id") == f"{ACTIONS_BLOCK}{bot.promise_id(OVERDUE)}"
    )
    assert [e["action_id"] for e in overdue_actions["elements"]] == [Act.PROPOSE, Act.SNOOZE]
    assert message["text"].endswith("; Past their deadline: 2 promises")

    # The same exactly-once claim: a second run of the period posts nothing more.
    [schedule] = bot.runtime.services.schedules.list_channel(DIGEST_CHANNEL, EDITOR)
    again = DigestRunner(bot.runtime.services, bot.runtime.messenger, "another-replica")
    assert again.run_schedule(schedule.id, bot.clock()).status is RunStatus.NOT_CLAIMED
    assert len(bot.fake.calls("chat.postMessage")) == 1


def test_a_snoozed_overdue_promise_leaves_the_section(bot: Bot) -> None:
    bot.driver.command(f"snooze {OVERDUE} 30", user=EDITOR)
    _, message = post_digest(bot)
    assert message is not None
    assert headers(message) == ["Still stalled: 5 promises"]


def test_nothing_overdue_means_no_deadline_section_and_nothing_at_all_posts_nothing(
    make_bot: Callable[..., Bot],
) -> None:
    bot = make_bot()
    due(bot, f"{OVERDUE} none")
    _, message = post_digest(bot)
    assert message is not None
    assert headers(message) == ["Still stalled: 5 promises"]
    assert "deadline" not in repr(message["blocks"])

    # Nothing stalled either: the period is done and nothing is posted.
    with bot.db.transaction() as uow:
        uow.session.execute(update(Promise).values(last_reviewed_at=bot.clock()))
        uow.commit()
    bot.clock.advance(days=1)
    status, message = post_digest(bot)
    assert status is RunStatus.NOTHING_DUE and message is None
    assert len(bot.fake.calls("chat.postMessage")) == 1


def test_only_overdue_promises_make_a_digest_of_one_section(bot: Bot) -> None:
    with bot.db.transaction() as uow:
        uow.session.execute(update(Promise).values(last_reviewed_at=bot.clock()))
        uow.commit()
    status, message = post_digest(bot)
    assert status is RunStatus.POSTED and message is not None
    assert headers(message) == ["Past their deadline: 1 promise"]
    assert message["text"] == "Past their deadline: 1 promise"


# -- App Home and proposals ----------------------------------------------------------------


def test_app_home_shows_overdue_next_to_longest_stalled(bot: Bot) -> None:
    view = open_home(bot, REPORTER)
    names = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert names.index("Overdue") == names.index("Longest stalled") + 1
    overdue = section_after(view, "Overdue")
    assert OVERDUE in overdue and OVERDUE_LINE in overdue and SETTLED not in overdue
    assert "1 promise past their deadline in all" in repr(view["blocks"])

    due(bot, f"{OVERDUE} none")
    view = open_home(bot, REPORTER)
    assert "No promise is past its deadline." in repr(view["blocks"])


def test_a_proposal_on_an_overdue_promise_says_so_in_its_root(desk: Desk) -> None:
    root = desk.propose(OVERDUE)
    assert f"This promise is past its deadline: {OVERDUE_LINE}" in repr(
        desk.root_message(root)["blocks"]
    )
    other = desk.propose("police-liability")
    assert "past its deadline" not in repr(desk.root_message(other)["blocks"])
