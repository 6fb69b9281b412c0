"""Following through the real HTTP endpoint: `/promise follow|unfollow|following` for a person
and a channel, the card's *Follow*, App Home's subscriptions and toggles, and what followers
then receive (by DM or channel post, once each) when the newsroom changes a promise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select

from promisebot.db.models import Delivery, Follow, OutboxEvent
from promisebot.domain import Rating
from promisebot.scheduler.notifications import NotificationSender
from promisebot.services.follows import MAX_FOLLOWS
from promisebot.slack.blocks.common import Act
from tests.blocks import assert_valid_blocks
from tests.slack.bot import REPORTER
from tests.slack.proposal_helpers import DESK, ED1, ED2, ED3, Desk, all_text

DAN = "U_DAN"
FOLLOWERS = "C_FOLLOWERS"


def command(desk: Desk, text: str, *, user: str = DAN, channel: str = DESK) -> dict[str, Any]:
    response = desk.driver.command(text, user=user, channel=channel)
    assert response.status_code == 200
    body = response.json()
    assert_valid_blocks(body["blocks"])
    return dict(body)


def sender(desk: Desk, name: str = "sender-a") -> NotificationSender:
    return desk.bot.runtime.notification_sender(name)


def follows(desk: Desk) -> list[tuple[str, bool, str, str]]:
    with desk.bot.db.reading() as uow:
        rows = uow.session.scalars(select(Follow).order_by(Follow.id)).all()
        return [(r.subscriber_id, r.is_channel, r.target_kind, r.target_key) for r in rows]


def posts_to(desk: Desk, channel: str) -> list[dict[str, Any]]:
    return [
        call.args
        for call in desk.fake.calls("chat.postMessage")
        if call.response.get("channel") == channel
    ]


def approve_by_replies(desk: Desk, external_id: str, rationale: str) -> None:
    root = desk.propose(external_id, rationale=rationale)
    desk.run(lambda: desk.reply(root, "lgtm", ED2), {"chat.postMessage": 1, "chat.update": 1})
    desk.run(lambda: desk.reply(root, "approve", ED3), {"chat.postMessage": 2, "chat.update": 1})
    desk.quiet()


# -- following -----------------------------------------------------------------------------------


def test_follow_by_id_tag_and_tracker_for_a_person_and_a_channel(desk: Desk) -> None:
    promise = desk.bot.promise_id("police-liability")
    assert "now follow" in all_text(command(desk, "follow police-liability")["blocks"])
    assert "now follow" in all_text(command(desk, "follow tag:Police")["blocks"])
    assert "now follow" in all_text(command(desk, "follow tracker:rivera-mayor")["blocks"])
    body = command(desk, "follow tracker:trump-2025 here", user=ED1, channel=FOLLOWERS)
    assert f"<#{FOLLOWERS}> now follows" in all_text(body["blocks"])
    command(desk, "follow police liability here", user=ED1, channel=FOLLOWERS)
    command(desk, "follow tag:housing here", user=ED1, channel=FOLLOWERS)
    assert follows(desk) == [
        (DAN, False, "promise", str(promise)),
        (DAN, False, "tag", "police"),
        (DAN, False, "tracker", "rivera-mayor"),
        (FOLLOWERS, True, "tracker", "trump-2025"),
        (FOLLOWERS, True, "promise", str(promise)),
        (FOLLOWERS, True, "tag", "housing"),
    ]
    listed = all_text(command(desk, "following", channel=FOLLOWERS)["blocks"])
    assert "You follow* (3)" in listed and "This channel follows* (3)" in listed
    assert "trump-2025/police-liability" in listed and "tag `police`" in listed


def test_an_ambiguous_follow_offers_follow_buttons(desk: Desk) -> None:
    body = command(desk, "follow tariffs")
    buttons = [b["accessory"] for b in body["blocks"] if b.get("accessory")]
    assert buttons and {b["action_id"] for b in buttons} == {Act.FOLLOW}
    choice = buttons[0]["value"]
    message = {"type": "message", "ts": "0", "text": body["text"], "blocks": body["blocks"]}
    container = {"type": "message", "is_ephemeral": True, "channel_id": DESK, "message_ts": "0"}
    desk.run(
        lambda: desk.driver.block_action(
            Act.FOLLOW, choice, user=DAN, message=message, container=container
        ),
        {"response_url": 1},
    )
    assert follows(desk) == [(DAN, False, "promise", choice)]


def test_the_card_follow_button_toggles(desk: Desk) -> None:
    card = command(desk, "police-liability")
    [row] = [b for b in card["blocks"] if b["type"] == "actions"]
    [follow] = [e for e in row["elements"] if e["action_id"] == Act.FOLLOW]
    assert follow["text"]["text"] == "Follow"
    message = {"type": "message", "ts": "0", "text": card["text"], "blocks": card["blocks"]}
    container = {"type": "message", "is_ephemeral": True, "channel_id": DESK, "message_ts": "0"}
    calls = desk.run(
        lambda: desk.driver.block_action(
            Act.FOLLOW, follow["value"], user=DAN, message=message, container=container
        ),
        {"response_url": 1},
    )
    [replaced] = calls["response_url"]
    assert replaced.args["replace_original"] is True
    assert "Following ✓" in all_text(replaced.args["blocks"])
    assert len(follows(desk)) == 1
    again = command(desk, "police-liability")
    assert "Following ✓" in all_text(again["blocks"])
    message = {"type": "message", "ts": "0", "text": again["text"], "blocks": again["blocks"]}
    desk.run(
        lambda: desk.driver.block_action(
            Act.UNFOLLOW, follow["value"], user=DAN, message=message, container=container
        ),
        {"response_url": 1},
    )
    assert follows(desk) == []


# -- what followers receive ----------------------------------------------------------------------


def test_a_rating_change_by_thread_replies_reaches_each_subscriber_once(desk: Desk) -> None:
    command(desk, "follow police-liability")
    command(desk, "follow tag:police")  # the same promise again: still one message
    command(desk, "follow tracker:trump-2025 here", user=ED1, channel=FOLLOWERS)
    command(desk, "follow tag:housing", user=REPORTER)  # not this promise
    hostile = "Dead in committee <!channel> <https://evil.example|click> & more"
    approve_by_replies(desk, "police-liability", hostile)

    report = sender(desk).run_once()
    assert (report.posted, report.paused, report.failed) == (2, 0, 0)
    [dm] = posts_to(desk, f"D{DAN}")
    [post] = posts_to(desk, FOLLOWERS)
    assert not posts_to(desk, f"D{REPORTER}")
    assert [c.args["users"] for c in desk.fake.calls("conversations.open")] == [DAN]
    for message in (dm, post):
        assert_valid_blocks(message["blocks"])
        text = all_text(message["blocks"])
        assert "Rating changed" in text and "Increase liability protections" in text
        assert "Stalled" in text and "Promise Broken" in text
        assert f"<@{ED2}>, <@{ED3}>" in text and "Open the thread" in text
        assert "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more" in text
        assert "<!channel>" not in text
        assert message["metadata"]["event_type"] == "promisebot_notification"
        assert message["metadata"]["event_payload"]["kind"] == "rating_changed"
    with desk.bot.db.reading() as uow:
        rows = uow.session.execute(
            select(Delivery.subscriber_id, Delivery.outcome, Delivery.message_ts)
            .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
            .where(OutboxEvent.kind == "rating_changed")
            .order_by(Delivery.subscriber_id)
        ).all()
    assert [(r[0], r[1]) for r in rows] == [(FOLLOWERS, "posted"), (DAN, "posted")]
    assert all(r[2] for r in rows)

    assert sender(desk, "sender-b").run_once().posted == 0  # nothing twice
    assert len(posts_to(desk, f"D{DAN}")) == 1


def test_proposals_reach_only_those_who_opted_in_and_evidence_reaches_followers(
    desk: Desk,
) -> None:
    command(desk, "follow border-wall")
    command(desk, "follow border-wall", user=REPORTER)
    desk.bot.runtime.services.follows.set_preferences(
        DAN, desk.bot.runtime.services.follows.following(DAN).preferences.__class__(True, False)
    )
    desk.propose("border-wall", rating=Rating.STALLED)
    # As Slack sends what was typed: `<b>bold</b>` arrives entity-encoded.
    command(
        desk,
        "evidence border-wall https://news.example/wall note: &lt;b&gt;bold&lt;/b&gt;",
        user=ED2,
    )
    sender(desk).run_once()
    dan = [all_text(m["blocks"]) for m in posts_to(desk, f"D{DAN}")]
    reporter = [all_text(m["blocks"]) for m in posts_to(desk, f"D{REPORTER}")]
    assert len(dan) == 2  # sent in parallel: in any order
    assert any("Change proposed" in m for m in dan) and any("New evidence" in m for m in dan)
    assert len(reporter) == 1 and "New evidence" in reporter[0]
    assert "&lt;b&gt;bold&lt;/b&gt;" in reporter[0]


def test_unfollow_stops_notifications(desk: Desk) -> None:
    command(desk, "follow border-wall")
    body = command(desk, "unfollow border-wall")
    assert "no longer follow" in all_text(body["blocks"])
    command(desk, "evidence border-wall https://news.example/a", user=ED2)
    assert sender(desk).run_once().posted == 0
    assert posts_to(desk, f"D{DAN}") == []


def test_a_blocked_dm_pauses_the_subscription_until_followed_again(desk: Desk) -> None:
    command(desk, "follow border-wall")
    command(desk, "follow tag:taxes")
    desk.fake.set_user(DAN, deleted=True)  # conversations.open answers user_disabled
    command(desk, "evidence border-wall https://news.example/a", user=ED2)
    report = sender(desk).run_once()
    assert (report.posted, report.paused) == (0, 1)
    listed = all_text(command(desk, "following")["blocks"])
    assert listed.count("paused: Slack said `user_disabled`") == 2
    command(desk, "evidence border-wall https://news.example/b", user=ED2)
    assert sender(desk).run_once() == type(report)(expanded=1)  # paused: nobody to tell

    desk.fake.set_user(DAN)
    body = command(desk, "follow border-wall")
    assert "again" in all_text(body["blocks"])
    assert "paused" not in all_text(command(desk, "following")["blocks"])


def test_a_channel_the_bot_cannot_post_to_is_paused(desk: Desk) -> None:
    command(desk, "follow border-wall here", user=ED1, channel=FOLLOWERS)
    command(desk, "evidence border-wall https://news.example/a", user=ED2)
    desk.fake.fail_next("chat.postMessage", error="not_in_channel")
    assert sender(desk).run_once().paused == 1
    listed = all_text(command(desk, "following", channel=FOLLOWERS)["blocks"])
    assert "paused: Slack said `not_in_channel`" in listed


def test_a_rate_limited_post_is_retried_and_sent_once(desk: Desk) -> None:
    command(desk, "follow border-wall")
    command(desk, "evidence border-wall https://news.example/a", user=ED2)
    desk.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    assert sender(desk).run_once().posted == 1
    assert len(posts_to(desk, f"D{DAN}")) == 1
    assert [c.method for c in desk.fake.failed_calls] == ["chat.postMessage"]


# -- bad input -----------------------------------------------------------------------------------


def test_bad_input_gets_friendly_answers(desk: Desk) -> None:
    assert "Did you mean `tag:police`" in command(desk, "follow tag:polise")["text"]
    assert "`tracker:trump-2025`" in command(desk, "follow tracker:trump2025")["text"]
    assert "No promise matches" in command(desk, "follow zzzqqqxxx")["text"]
    assert "Usage" in command(desk, "follow")["text"]
    command(desk, "follow border-wall")
    assert "already following" in command(desk, "follow border-wall")["text"]
    assert "not following" in command(desk, "unfollow police-liability")["text"]
    refused = command(desk, "follow border-wall here", channel=FOLLOWERS)["text"]
    assert "Only editors can subscribe a channel" in refused
    assert len(follows(desk)) == 1


def test_two_hundred_subscriptions_is_the_cap(desk: Desk) -> None:
    with desk.bot.db.transaction() as uow:
        uow.session.execute(
            insert(Follow),
            [
                {
                    "subscriber_id": DAN,
                    "is_channel": False,
                    "target_kind": "tag",
                    "target_key": f"made-up-{n}",
                    "created_by": DAN,
                    "created_at": desk.bot.clock(),
                }
                for n in range(MAX_FOLLOWS)
            ],
        )
        uow.commit()
    assert f"more than {MAX_FOLLOWS} subscriptions" in command(desk, "follow border-wall")["text"]
    with desk.bot.db.transaction() as uow:
        uow.session.execute(delete(Follow).where(Follow.target_key == "made-up-0"))
        uow.commit()
    command(desk, "follow border-wall")
    with desk.bot.db.reading() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Follow)) == MAX_FOLLOWS


# -- App Home and the daily summary --------------------------------------------------------------


def home_view(desk: Desk, user: str = DAN) -> dict[str, Any]:
    calls = desk.run(
        lambda: desk.driver.event(desk.driver.app_home_opened_event(user)), {"views.publish": 1}
    )
    view = calls["views.publish"][0].response["view"]
    assert len(view["blocks"]) <= 100
    return dict(view)


def press_in_home(desk: Desk, view: dict[str, Any], action_id: str, value: str) -> None:
    desk.run(
        lambda: desk.driver.block_action(action_id, value, user=DAN, channel=None, view=view),
        {"views.publish": 1},
    )


def test_app_home_lists_subscriptions_with_unfollow_and_toggles(desk: Desk) -> None:
    command(desk, "follow border-wall")
    view = home_view(desk)
    text = all_text(view["blocks"])
    assert "Following" in text and "trump-2025/border-wall" in text
    assert "Notify me of new proposals" in text and "daily summary" in text
    [unfollow] = [
        b["accessory"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id") == Act.UNFOLLOW_SUBSCRIPTION
    ]
    press_in_home(desk, view, Act.FOLLOW_PREFERENCE, "daily_summary:on")
    press_in_home(desk, view, Act.UNFOLLOW_SUBSCRIPTION, unfollow["value"])
    assert follows(desk) == []
    following = desk.bot.runtime.services.follows.following(DAN)
    assert following.preferences.daily_summary and not following.preferences.notify_proposals
    shown = all_text(desk.fake.calls("views.publish")[-1].args["view"]["blocks"])
    assert "You follow nothing yet" in shown and "Turn off" in shown


def test_the_daily_summary_posts_once_per_day(desk: Desk) -> None:
    command(desk, "follow tag:immigration")
    home = home_view(desk)
    press_in_home(desk, home, Act.FOLLOW_PREFERENCE, "daily_summary:on")
    command(desk, "evidence border-wall https://news.example/a", user=ED2)
    command(desk, "evidence mass-deportation https://news.example/b", user=ED2)
    assert sender(desk).run_once().posted == 0  # kept for the summary
    clock = desk.bot.clock
    # The clock starts Wed 25 Nov 2026 10:00 New York: the next summary is Thursday 09:00.
    clock.advance(hours=23, minutes=5)
    assert sender(desk).send_summaries() == 1
    assert sender(desk, "sender-b").send_summaries() == 0
    [summary] = posts_to(desk, f"D{DAN}")
    assert_valid_blocks(summary["blocks"])
    text = all_text(summary["blocks"])
    assert "daily summary: 2 changes" in text and "border-wall" in text
    assert summary["metadata"]["event_payload"]["kind"] == "daily_summary"
    command(desk, "evidence border-wall https://news.example/c", user=ED2)
    sender(desk).run_once()
    assert sender(desk).send_summaries() == 0  # after 09:00 today: tomorrow's summary
    clock.advance(days=1)
    assert sender(desk).send_summaries() == 1
    assert len(posts_to(desk, f"D{DAN}")) == 2


def test_a_summary_claim_left_by_a_dead_sender_is_taken_over_once(desk: Desk) -> None:
    command(desk, "follow tag:immigration")
    desk.bot.runtime.services.follows.set_preferences(
        DAN, desk.bot.runtime.services.follows.following(DAN).preferences.__class__(False, True)
    )
    command(desk, "evidence border-wall https://news.example/a", user=ED2)
    sender(desk).run_once()
    desk.bot.clock.advance(hours=23, minutes=5)
    outbox = desk.bot.runtime.services.outbox
    fire = desk.bot.clock() - timedelta(minutes=5)
    claim = outbox.claim_summary(
        DAN, "2026-11-26T09:00", "dead", before=fire, retry_after=timedelta(minutes=5)
    )
    assert claim is not None and len(claim.items) == 1
    assert sender(desk).send_summaries() == 0  # the dead sender's claim is still fresh
    desk.bot.clock.advance(minutes=6)
    assert sender(desk).send_summaries() == 1
    assert sender(desk).send_summaries() == 0
    assert len(posts_to(desk, f"D{DAN}")) == 1
