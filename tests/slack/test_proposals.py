"""Peer-approved rating changes through the real HTTP endpoint with signature checks on: the
whole flow by buttons and by thread replies, and the card's link to an open proposal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from promisebot.db.models import Proposal
from promisebot.domain import ProposalStatus, Rating, Verdict
from promisebot.slack.blocks import proposal_modals as modals
from promisebot.slack.blocks.common import Act, Views
from tests.blocks import assert_valid_blocks
from tests.slack.bot import Bot
from tests.slack.proposal_helpers import (
    ANNOUNCE,
    DESK,
    ED1,
    ED2,
    ED3,
    REVIEW,
    Desk,
    Root,
    action_ids,
    all_text,
)

# -- the whole flow ------------------------------------------------------------------------


def test_whole_flow_by_buttons(desk: Desk) -> None:
    modal = desk.open_modal_by_button("police-liability")
    view = modal.args["view"]
    assert view["callback_id"] == Views.PROPOSE
    assert_valid_blocks(view["blocks"])
    [rating_input] = [b for b in view["blocks"] if b.get("block_id") == modals.RATING]
    offered = {option["value"] for option in rating_input["element"]["options"]}
    assert Rating.STALLED.value not in offered  # the current rating is not offered
    assert Rating.PROMISE_BROKEN.value in offered and len(offered) == len(Rating) - 1

    links = "https://news.example/bill-dies\n<https://news.example/vote|the vote>"
    calls = desk.run(
        lambda: desk.submit_proposal(modal, links=links),
        {"chat.postMessage": 1, "chat.postEphemeral": 1},
    )
    [post] = calls["chat.postMessage"]
    assert post.args["channel"] == REVIEW
    with desk.bot.db.reading() as uow:
        proposal_id = uow.session.scalars(select(Proposal.id)).one()
    root = Root(proposal_id, REVIEW, str(post.response["ts"]))
    row = desk.proposal(root)
    assert row.status is ProposalStatus.OPEN
    assert (row.from_rating, row.to_rating) == (Rating.STALLED, Rating.PROMISE_BROKEN)
    assert row.approvals_required == 2
    assert (row.channel_id, row.message_ts) == (REVIEW, root.ts)
    assert row.links == ["https://news.example/bill-dies", "https://news.example/vote"]

    shown = desk.root_message(root)
    text = all_text(shown["blocks"])
    assert "Increase liability protections for police officers" in text
    assert "Stalled" in text and "Promise Broken" in text
    assert "The bill died in committee." in text
    assert "https://news.example/bill-dies" in text
    assert f"<@{ED1}>" in text and "0/2 approvals" in text
    assert action_ids(shown["blocks"]) == {Act.APPROVE, Act.REJECT, Act.WITHDRAW}
    [confirmation] = calls["chat.postEphemeral"]
    assert confirmation.args["channel"] == DESK and confirmation.args["user"] == ED1
    assert f"archives/{REVIEW}/p" in all_text(confirmation.args["blocks"])  # the permalink

    first = desk.approve(root, ED2)
    [ack] = first["chat.postMessage"]
    assert ack.args["thread_ts"] == root.ts and ack.args["channel"] == REVIEW
    assert_valid_blocks(ack.args["blocks"])
    assert f"<@{ED2}> approved (1/2 approvals)" in all_text(ack.args["blocks"])
    assert "1/2 approvals" in all_text(desk.root_message(root)["blocks"])
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]
    assert desk.rating("police-liability") is Rating.STALLED

    final = desk.approve(root, ED3, {"chat.postMessage": 2, "chat.update": 1})
    desk.quiet()
    summary, announcement = sorted(
        final["chat.postMessage"], key=lambda call: call.args["channel"] == ANNOUNCE
    )
    assert summary.args["thread_ts"] == root.ts
    assert "2/2 approvals" in all_text(summary.args["blocks"])
    assert "Rating changed" in all_text(summary.args["blocks"])
    assert announcement.args["channel"] == ANNOUNCE and "thread_ts" not in announcement.args
    assert_valid_blocks(announcement.args["blocks"])
    assert announcement.args["text"] == (
        "Rating changed: Increase liability protections for police officers: "
        "Stalled → Promise Broken"
    )
    closed = desk.root_message(root)
    assert action_ids(closed["blocks"]) == set()  # buttons gone
    assert "Approved" in all_text(closed["blocks"])

    assert desk.proposal(root).status is ProposalStatus.APPROVED
    assert desk.rating("police-liability") is Rating.PROMISE_BROKEN
    assert desk.changes("police-liability") == [
        (Rating.STALLED, Rating.PROMISE_BROKEN, ED1, [ED2, ED3], root.proposal_id)
    ]
    assert {"https://news.example/bill-dies", "https://news.example/vote"} <= desk.evidence_urls(
        "police-liability"
    )

    # The card's history says who proposed and who approved.
    card = desk.driver.command("police-liability").json()
    history = all_text(card["blocks"])
    assert f"proposed by <@{ED1}>, approved by <@{ED2}>, <@{ED3}>" in history


def test_whole_flow_by_thread_replies(desk: Desk) -> None:
    root = desk.propose("border-wall", rating=Rating.STALLED, rationale="Funding ran out.")
    assert desk.proposal(root).from_rating is Rating.IN_THE_WORKS

    desk.run(lambda: desk.reply(root, "LGTM!", ED2), {"chat.postMessage": 1, "chat.update": 1})
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]
    assert f"<@{ED2}> approved (1/2 approvals)" in all_text(desk.thread_posts(root)[-1]["blocks"])

    desk.run(lambda: desk.reply(root, ":+1:", ED3), {"chat.postMessage": 2, "chat.update": 1})
    desk.quiet()
    assert desk.proposal(root).status is ProposalStatus.APPROVED
    assert desk.rating("border-wall") is Rating.STALLED
    assert desk.changes("border-wall") == [
        (Rating.IN_THE_WORKS, Rating.STALLED, ED1, [ED2, ED3], root.proposal_id)
    ]
    assert "2/2 approvals" in all_text(desk.thread_posts(root)[-1]["blocks"])
    assert action_ids(desk.root_message(root)["blocks"]) == set()


@pytest.mark.parametrize("text", ["approve", "approved", "lgtm", ":+1:", "👍"])
def test_each_approval_word_counts(desk: Desk, text: str) -> None:
    root = desk.propose()
    desk.run(lambda: desk.reply(root, text, ED2), {"chat.postMessage": 1})
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]


def test_a_reply_also_sent_to_the_channel_counts(desk: Desk) -> None:
    root = desk.propose()
    event = desk.driver.thread_message_event("lgtm", user=ED2, channel=REVIEW, thread_ts=root.ts)
    desk.run(
        lambda: desk.driver.event({**event, "subtype": "thread_broadcast"}),
        {"chat.postMessage": 1},
    )
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]


def test_ordinary_chat_and_foreign_threads_are_ignored(desk: Desk) -> None:
    root = desk.propose()
    desk.reply(root, "approve? I am not sure yet", ED2)
    desk.reply(root, "ok", ED2)
    desk.driver.event(
        desk.driver.thread_message_event(
            "approve", user=ED2, channel=REVIEW, thread_ts="1699999999.000100"
        )
    )
    # The bot's own messages (and any bot's) never count, even in its own thread.
    own = desk.driver.thread_message_event(
        "approve", user=desk.fake.bot_user_id, channel=REVIEW, thread_ts=root.ts
    )
    desk.driver.event({**own, "bot_id": "BBOT"})
    desk.driver.event(
        {
            **desk.driver.thread_message_event(
                "approve", user=ED3, channel=REVIEW, thread_ts=root.ts
            ),
            "subtype": "message_changed",
        }
    )
    desk.quiet()
    assert desk.reviews(root) == []
    assert desk.thread_posts(root) == []


def test_the_card_links_to_an_open_proposal(desk: Desk) -> None:
    root = desk.propose()
    card = desk.driver.command("police-liability", user=ED2).json()
    assert_valid_blocks(card["blocks"])
    text = all_text(card["blocks"])
    permalink = f"https://example.slack.com/archives/{REVIEW}/p{root.ts.replace('.', '')}"
    assert f"<{permalink}|proposal to rate it Promise Broken>" in text
    assert "0/2 approvals" in text


def test_without_a_review_channel_the_root_goes_where_it_was_started(
    make_bot: Callable[..., Bot],
) -> None:
    desk = Desk(make_bot(fetch_link_titles=False))
    root = desk.propose(channel="C_POLITICS")
    assert root.channel == "C_POLITICS"
    assert desk.proposal(root).channel_id == "C_POLITICS"
