"""The weekly "what changed" digest (`/promise remind here changes …`): grouped by tracker,
posted once per period across replicas, nothing posted when nothing changed, capped within
Slack's limits; and followers told when their promise enters a still-stalled digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from promisebot.changes import ChangeKind
from promisebot.scheduler import DigestRunner, RunStatus
from promisebot.services.follows import ChangeList, Notification, PromiseRef
from promisebot.slack.blocks.common import MAX_MESSAGE_CHARS, message_size
from promisebot.slack.blocks.follows import changes_message
from tests.blocks import assert_valid_blocks
from tests.slack.proposal_helpers import ED1, ED2, Desk, all_text
from tests.slack.test_follows import DAN, approve_by_replies, command, posts_to, sender

WEEKLY = "C_WEEKLY"
NY = ZoneInfo("America/New_York")


def runner(desk: Desk, name: str) -> DigestRunner:
    return DigestRunner(desk.bot.runtime.services, desk.bot.runtime.messenger, name)


def test_weekly_changes_digest_posts_once_per_week_grouped_by_tracker(desk: Desk) -> None:
    body = command(desk, "remind here changes fri 16:00", user=ED1, channel=WEEKLY)
    assert "what changed since the previous one" in all_text(body["blocks"])
    listed = all_text(command(desk, "remind list", user=ED1, channel=WEEKLY)["blocks"])
    assert "what changed" in listed
    schedule_id = desk.bot.runtime.services.schedules.list_channel(WEEKLY, ED1)[0].id
    assert command(desk, "remind here mon 09:00", user=ED1, channel=WEEKLY)  # still works

    approve_by_replies(desk, "police-liability", "Dead <b>in</b> committee")
    command(desk, "evidence rent-cap https://news.example/rent", user=ED2)
    withdrawn = desk.propose("border-wall")
    desk.run(lambda: desk.press(withdrawn, "proposal.withdraw", ED1), {"chat.update": 1})
    desk.quiet()

    # Wed 25 Nov 2026; the digest fires Fri 27 Nov at 16:00 New York time.
    desk.bot.clock.set(datetime(2026, 11, 27, 16, 1, tzinfo=NY).astimezone(UTC))
    first = runner(desk, "replica-a").run_due(schedule_id)
    again = runner(desk, "replica-b").run_due(schedule_id)
    assert (first.status, again.status) == (RunStatus.POSTED, RunStatus.NOT_CLAIMED)
    [post] = posts_to(desk, WEEKLY)
    assert_valid_blocks(post["blocks"])
    text = all_text(post["blocks"])
    assert "What changed: 5 changes" in text  # opened twice, applied, withdrawn, evidence
    assert text.index("Trump-O-Meter") < text.index("Rating changed")
    assert "Rivera-Meter" in text and "New evidence" in text
    assert "was withdrawn" in text and "Change proposed" in text
    assert "Nov 20, 2026 to Nov 27, 2026" in text

    desk.bot.clock.advance(days=7)
    assert runner(desk, "replica-a").run_due(schedule_id).status is RunStatus.NOTHING_DUE
    assert len(posts_to(desk, WEEKLY)) == 1


def test_the_weekly_digest_can_be_limited_to_one_tracker(desk: Desk) -> None:
    command(desk, "remind here changes fri 16:00 rivera-mayor", user=ED1, channel=WEEKLY)
    assert (
        "no tracker"
        in command(desk, "remind here changes fri 16:00 nope", user=ED1, channel=WEEKLY)[
            "text"
        ].lower()
    )
    command(desk, "evidence rent-cap https://news.example/rent", user=ED2)
    command(desk, "evidence border-wall https://news.example/wall", user=ED2)
    schedule_id = desk.bot.runtime.services.schedules.list_channel(WEEKLY, ED1)[0].id
    desk.bot.clock.set(datetime(2026, 11, 27, 16, 1, tzinfo=NY).astimezone(UTC))
    assert runner(desk, "a").run_due(schedule_id).status is RunStatus.POSTED
    text = all_text(posts_to(desk, WEEKLY)[0]["blocks"])
    assert "1 change" in text and "rent" in text and "wall" not in text


def test_a_long_week_is_capped_with_and_n_more() -> None:
    at = datetime(2026, 11, 25, tzinfo=UTC)
    items = tuple(
        Notification(
            delivery_id=0,
            event_id=n,
            kind=ChangeKind.EVIDENCE_ADDED,
            subscriber_id="",
            is_channel=False,
            promise=PromiseRef(n, f"promise-{n}", "A long title " * 8, f"t{n % 3}", f"T{n % 3}"),
            actor="U1",
            at=at,
            details={"url": f"https://news.example/{n}", "title": "x" * 100, "note": ""},
            thread=None,
            attempt=0,
        )
        for n in range(400)
    )
    message = changes_message(ChangeList(at - timedelta(days=7), at, None, items, 900), NY, {})
    assert_valid_blocks(message.blocks)
    assert message_size(message.blocks) <= MAX_MESSAGE_CHARS
    tail = message.blocks[-1]["elements"][0]["text"]
    shown = all_text(message.blocks).count("New evidence")
    assert tail.startswith(f"and {900 - shown} more") and shown > 10


def test_followers_hear_when_their_promise_enters_a_stalled_digest(desk: Desk) -> None:
    command(desk, "follow tag:police")
    command(desk, "remind here daily 09:00", user=ED1, channel=WEEKLY)
    schedule_id = desk.bot.runtime.services.schedules.list_channel(WEEKLY, ED1)[0].id
    desk.bot.clock.set(datetime(2026, 11, 26, 9, 1, tzinfo=NY).astimezone(UTC))
    assert runner(desk, "a").run_due(schedule_id).status is RunStatus.POSTED
    sender(desk).run_once()
    stalled = [all_text(m["blocks"]) for m in posts_to(desk, f"D{DAN}")]
    assert stalled and all("still-stalled digest" in text for text in stalled)
    assert any("Increase liability protections" in text for text in stalled)
    desk.bot.clock.advance(days=1)  # the next digest lists them again: no news
    assert runner(desk, "a").run_due(schedule_id).status is RunStatus.POSTED
    assert sender(desk).run_once().posted == 0
