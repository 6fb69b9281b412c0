"""Digest notes from two replicas at once (item 8): each update re-renders the digest from
the database, so whatever order Slack applies the updates in, the last one shows every
answered item. Two real Bolt apps over signed HTTP share the database and the fake Slack."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from promisebot.slack.blocks.common import Act
from tests.slack.bot import EDITORS, Bot
from tests.slack.proposal_helpers import Desk
from tests.slack.test_digests import (
    DEMO_OVERDUE,
    DIGEST_CHANNEL,
    current,
    notes,
    open_items,
    post_digest,
    snooze_option,
)

ED1, ED2, ED3 = EDITORS


def hold_first_update(bot: Bot) -> tuple[threading.Event, threading.Event]:
    """Make the fake Slack hold the next chat.update until released (outside its lock, so
    other calls go on): (arrived, release)."""
    fake = bot.fake
    answer = fake.answer
    arrived, release = threading.Event(), threading.Event()
    held = threading.Lock()

    def answering(method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "chat.update" and held.acquire(blocking=False):
            arrived.set()
            assert release.wait(10)
        return answer(method, args, token)

    fake.answer = answering  # type: ignore[method-assign]
    return arrived, release


def press(bot: Bot, action: str, value: str, user: str, message: dict[str, Any]) -> None:
    action_type = "static_select" if action == Act.SNOOZE else "button"
    response = bot.driver.block_action(
        action, value, user=user, channel=DIGEST_CHANNEL, message=message, action_type=action_type
    )
    assert response.status_code == 200


def test_a_stale_update_landing_last_is_corrected(make_bot: Callable[..., Bot]) -> None:
    replica_a = make_bot()
    replica_b = make_bot(demo=False)
    message = post_digest(replica_a)
    first, second, *rest = open_items(message)
    snooze = snooze_option(message, second, "7 days")
    arrived, release = hold_first_update(replica_a)

    # A's update (showing only its own answer) is held on its way to Slack ...
    press(replica_a, Act.REVIEWED, str(first), ED1, message)
    assert arrived.wait(10)
    # ... while B answers another item on the digest as first posted; B's update lands.
    press(replica_b, Act.SNOOZE, snooze, ED2, message)
    replica_b.fake.wait_for("chat.update", 1)
    # Then A's stale update lands; A reads the database again and writes both notes.
    release.set()
    replica_a.fake.wait_for("chat.update", 3)

    shown = current(replica_a, message)
    assert open_items(shown) == rest
    assert f":white_check_mark: Reviewed by <@{ED1}> — still stalled" in notes(shown)
    assert f":zzz: Snoozed for 7 days by <@{ED2}> (until Dec 2, 2026)" in notes(shown)


def test_every_item_answered_at_once_on_two_replicas_shows(make_bot: Callable[..., Bot]) -> None:
    replicas = [make_bot(), make_bot(demo=False)]
    message = post_digest(replicas[0])
    items = open_items(message)
    start = threading.Barrier(len(items))
    # Past its deadline but not stalled: its answer is a snooze (no *Reviewed* button).
    overdue = {replicas[0].promise_id(external_id) for external_id in DEMO_OVERDUE}
    stalled = [i for i, item in enumerate(items) if item not in overdue]

    def answer(index: int) -> None:
        start.wait(10)
        editor = EDITORS[index % len(EDITORS)]
        if items[index] in overdue:
            snooze = snooze_option(message, items[index], "7 days")
            press(replicas[index % 2], Act.SNOOZE, snooze, editor, message)
        else:
            press(replicas[index % 2], Act.REVIEWED, str(items[index]), editor, message)

    with ThreadPoolExecutor(len(items)) as pool:
        list(pool.map(answer, range(len(items))))
    # Every press ends in at least one update; wait for the work after the acks to end.
    replicas[0].fake.wait_for("chat.update", len(items))
    Desk(replicas[0]).quiet()

    shown = current(replicas[0], message)
    assert open_items(shown) == []
    expected = {
        f":white_check_mark: Reviewed by <@{EDITORS[i % len(EDITORS)]}> — still stalled"
        for i in stalled
    }
    assert expected <= set(notes(shown))
    assert len([note for note in notes(shown) if "Reviewed by" in note]) == len(stalled)
    assert len([note for note in notes(shown) if "Snoozed for 7 days" in note]) == len(overdue)
