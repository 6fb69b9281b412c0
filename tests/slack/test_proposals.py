"""Peer-approved rating changes through the real HTTP endpoint with signature checks on: the
whole flow by buttons and by thread replies, the card's link to an open proposal, and the
steps' helpers (`Desk`) that the other proposal scenario modules share."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from promisebot.db.models import Evidence, Promise, Proposal, RatingChange, Review
from promisebot.domain import ProposalStatus, Rating, Verdict
from promisebot.sandbox.fake_slack import RecordedCall
from promisebot.sandbox.state_values import selected, state_values
from promisebot.slack.blocks import proposal_modals as modals
from promisebot.slack.blocks.common import Act, Views
from tests.slack.conftest import EDITORS, Bot, assert_valid_blocks

ED1, ED2, ED3 = EDITORS
REVIEW = "C_REVIEW"
ANNOUNCE = "C_ANNOUNCE"
DESK = "C_NEWSROOM"


@dataclass(frozen=True)
class Root:
    """A proposal's thread root as posted."""

    proposal_id: int
    channel: str
    ts: str


@dataclass(frozen=True)
class ProposalRow:
    status: ProposalStatus
    from_rating: Rating
    to_rating: Rating
    approvals_required: int
    channel_id: str | None
    message_ts: str | None
    rationale: str
    links: list[str]


def field(name: str) -> tuple[str, str]:
    return (name, modals.field_action(name))


def all_text(blocks: Any) -> str:
    return repr(blocks)


def action_ids(blocks: list[dict[str, Any]]) -> set[str]:
    return {
        element.get("action_id", "")
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    }


class Desk:
    """Steps of the newsroom's workflow against a running bot, and what they left behind."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.fake = bot.fake
        self.driver = bot.driver

    # -- waiting on the fake Slack -----------------------------------------------------------

    def count(self, method: str) -> int:
        return len(self.fake.calls(method))

    def run(
        self, step: Callable[[], httpx.Response], expect: dict[str, int]
    ) -> dict[str, list[RecordedCall]]:
        """Do a step; wait for the given number of new successful calls per method."""
        before = {method: self.count(method) for method in expect}
        response = step()
        assert response.status_code == 200, response.text
        new: dict[str, list[RecordedCall]] = {}
        for method, count in expect.items():
            calls = self.fake.wait_for(method, before[method] + count)
            new[method] = calls[before[method] :]
        return new

    def quiet(self, seconds: float = 0.4, limit: float = 5.0) -> None:
        """Wait until the bot has made no Slack call for `seconds` (work after the ack)."""
        deadline = time.monotonic() + limit
        seen = len(self.fake.calls()) + len(self.fake.failed_calls)
        while time.monotonic() < deadline:
            time.sleep(seconds)
            now = len(self.fake.calls()) + len(self.fake.failed_calls)
            if now == seen:
                return
            seen = now

    # -- proposing ---------------------------------------------------------------------------

    def open_modal_by_command(
        self, query: str, *, user: str = ED1, channel: str = DESK
    ) -> RecordedCall:
        calls = self.run(
            lambda: self.driver.command(f"propose {query}", user=user, channel=channel),
            {"views.open": 1},
        )
        return calls["views.open"][0]

    def open_modal_by_button(
        self, external_id: str, *, user: str = ED1, channel: str = DESK
    ) -> RecordedCall:
        card = self.driver.command(external_id, user=user, channel=channel).json()
        value = str(self.bot.promise_id(external_id))
        message = {"type": "message", "ts": "0", "text": card["text"], "blocks": card["blocks"]}
        container = {"type": "message", "is_ephemeral": True, "channel_id": channel}
        calls = self.run(
            lambda: self.driver.block_action(
                Act.PROPOSE, value, user=user, channel=channel, message=message, container=container
            ),
            {"views.open": 1},
        )
        return calls["views.open"][0]

    def submit_proposal(
        self,
        modal: RecordedCall,
        *,
        user: str = ED1,
        rating: Rating | None = Rating.PROMISE_BROKEN,
        rationale: str | None = "The bill died in committee.",
        links: str | None = None,
        effective_on: date | None = None,
    ) -> httpx.Response:
        values: dict[str | tuple[str, str], Any] = {
            field(modals.RATING): selected(rating.value, rating.label) if rating else None,
            field(modals.RATIONALE): rationale,
            field(modals.LINKS): links,
        }
        if rating is None:
            values[field(modals.RATING)] = {"type": "static_select", "selected_option": None}
        if effective_on is not None:
            values[field(modals.EFFECTIVE_ON)] = effective_on
        view = modal.args["view"]
        return self.driver.view_submission(
            Views.PROPOSE,
            state_values(values),
            user=user,
            private_metadata=view["private_metadata"],
            view_id=modal.response["view"]["id"],
        )

    def propose(
        self,
        external_id: str = "police-liability",
        *,
        user: str = ED1,
        channel: str = DESK,
        **form: Any,
    ) -> Root:
        modal = self.open_modal_by_command(external_id, user=user, channel=channel)
        calls = self.run(
            lambda: self.submit_proposal(modal, user=user, **form),
            {"chat.postMessage": 1, "chat.postEphemeral": 1},
        )
        [post] = calls["chat.postMessage"]
        assert_valid_blocks(post.args["blocks"])
        channel_id, ts = str(post.response["channel"]), str(post.response["ts"])
        with self.bot.db.reading() as session:
            proposal_id = session.scalars(
                select(Proposal.id).where(Proposal.message_ts == ts)
            ).one()
        return Root(proposal_id, channel_id, ts)

    # -- reviewing ---------------------------------------------------------------------------

    def press(self, root: Root, action_id: str, user: str) -> httpx.Response:
        message = self.fake.message(root.channel, root.ts)
        assert message is not None
        return self.driver.block_action(
            action_id, str(root.proposal_id), user=user, channel=root.channel, message=message
        )

    def approve(self, root: Root, user: str, expect: dict[str, int] | None = None) -> Any:
        return self.run(
            lambda: self.press(root, Act.APPROVE, user),
            expect if expect is not None else {"chat.postMessage": 1, "chat.update": 1},
        )

    def reply(self, root: Root, text: str, user: str, **options: Any) -> httpx.Response:
        return self.driver.message_in_thread(
            text, user=user, channel=root.channel, thread_ts=root.ts, **options
        )

    def reject_by_button(self, root: Root, user: str, reason: str | None) -> httpx.Response:
        modal = self.run(lambda: self.press(root, Act.REJECT, user), {"views.open": 1})
        opened = modal["views.open"][0]
        assert opened.args["view"]["callback_id"] == Views.REJECT
        return self.driver.view_submission(
            Views.REJECT,
            state_values({field(modals.REASON): reason}),
            user=user,
            private_metadata=opened.args["view"]["private_metadata"],
            view_id=opened.response["view"]["id"],
        )

    # -- what Slack and the database show ----------------------------------------------------

    def root_message(self, root: Root) -> dict[str, Any]:
        message = self.fake.message(root.channel, root.ts)
        assert message is not None
        assert_valid_blocks(message["blocks"])
        return message

    def thread_posts(self, root: Root) -> list[dict[str, Any]]:
        return [
            call.args
            for call in self.fake.calls("chat.postMessage")
            if call.args.get("thread_ts") == root.ts
        ]

    def ephemerals(self, user: str) -> list[str]:
        return [
            str(call.args.get("text", ""))
            for call in self.fake.calls("chat.postEphemeral")
            if call.args.get("user") == user
        ]

    def proposal(self, root: Root) -> ProposalRow:
        with self.bot.db.reading() as session:
            row = session.get(Proposal, root.proposal_id)
            assert row is not None
            return ProposalRow(
                row.status,
                row.from_rating,
                row.to_rating,
                row.approvals_required,
                row.channel_id,
                row.message_ts,
                row.rationale,
                list(row.evidence_links),
            )

    def reviews(self, root: Root) -> list[tuple[str, Verdict, str]]:
        with self.bot.db.reading() as session:
            statement = (
                select(Review.reviewer, Review.verdict, Review.comment)
                .where(Review.proposal_id == root.proposal_id)
                .order_by(Review.id)
            )
            return [(r, v, c) for r, v, c in session.execute(statement)]

    def changes(self, external_id: str) -> list[tuple[Rating, Rating, str, list[str], int | None]]:
        """Rating changes that came from proposals: (from, to, proposer, approvers, proposal)."""
        promise_id = self.bot.promise_id(external_id)
        with self.bot.db.reading() as session:
            statement = (
                select(RatingChange)
                .where(RatingChange.promise_id == promise_id, RatingChange.proposal_id.is_not(None))
                .order_by(RatingChange.id)
            )
            return [
                (c.from_rating, c.to_rating, c.proposed_by, list(c.approved_by), c.proposal_id)
                for c in session.scalars(statement)
            ]

    def rating(self, external_id: str) -> Rating:
        with self.bot.db.reading() as session:
            promise = session.get(Promise, self.bot.promise_id(external_id))
            assert promise is not None
            return promise.current_rating

    def evidence_urls(self, external_id: str) -> set[str]:
        promise_id = self.bot.promise_id(external_id)
        with self.bot.db.reading() as session:
            return set(
                session.scalars(select(Evidence.url).where(Evidence.promise_id == promise_id))
            )


@pytest.fixture
def bot(make_bot: Callable[..., Bot]) -> Bot:
    return make_bot(review_channel=REVIEW, announce_channel=ANNOUNCE, fetch_link_titles=False)


@pytest.fixture
def desk(bot: Bot) -> Desk:
    return Desk(bot)


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
    with desk.bot.db.reading() as session:
        proposal_id = session.scalars(select(Proposal.id)).one()
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
    desk.driver.message_in_thread(
        "approve", user=ED2, channel=REVIEW, thread_ts="1699999999.000100"
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
