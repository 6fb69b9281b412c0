"""The proposal scenarios' shared steps: a `Desk` that plays the newsroom against a running
bot and reads back what each step left in Slack and the database."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from promisebot.db.models import Evidence, Promise, Proposal, RatingChange, Review
from promisebot.domain import ProposalStatus, Rating, Verdict
from promisebot.sandbox.fake_slack import RecordedCall
from promisebot.sandbox.state_values import selected, state_values
from promisebot.slack.blocks import proposal_modals as modals
from promisebot.slack.blocks.common import Act, Views
from tests.blocks import assert_valid_blocks
from tests.slack.bot import EDITORS, Bot

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
        with self.bot.db.reading() as uow:
            proposal_id = uow.session.scalars(
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

    def reply(
        self,
        root: Root,
        text: str,
        user: str,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> httpx.Response:
        driver = self.driver if retry_num is None else self.driver.signed(retry_num=retry_num)
        event = driver.thread_message_event(
            text, user=user, channel=root.channel, thread_ts=root.ts
        )
        return driver.event(event, event_id=event_id)

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
        with self.bot.db.reading() as uow:
            row = uow.session.get(Proposal, root.proposal_id)
            assert row is not None
            return proposal_row(row)

    def open_proposals(self, external_id: str) -> list[ProposalRow]:
        promise_id = self.bot.promise_id(external_id)
        with self.bot.db.reading() as uow:
            statement = (
                select(Proposal)
                .where(Proposal.promise_id == promise_id, Proposal.status == ProposalStatus.OPEN)
                .order_by(Proposal.id)
            )
            return [proposal_row(row) for row in uow.session.scalars(statement)]

    def reviews(self, root: Root) -> list[tuple[str, Verdict, str]]:
        with self.bot.db.reading() as uow:
            statement = (
                select(Review.reviewer, Review.verdict, Review.comment)
                .where(Review.proposal_id == root.proposal_id)
                .order_by(Review.id)
            )
            return [(r, v, c) for r, v, c in uow.session.execute(statement)]

    def changes(self, external_id: str) -> list[tuple[Rating, Rating, str, list[str], int | None]]:
        """Rating changes that came from proposals: (from, to, proposer, approvers, proposal)."""
        promise_id = self.bot.promise_id(external_id)
        with self.bot.db.reading() as uow:
            statement = (
                select(RatingChange)
                .where(RatingChange.promise_id == promise_id, RatingChange.proposal_id.is_not(None))
                .order_by(RatingChange.id)
            )
            return [
                (c.from_rating, c.to_rating, c.proposed_by, list(c.approved_by), c.proposal_id)
                for c in uow.session.scalars(statement)
            ]

    def rating(self, external_id: str) -> Rating:
        with self.bot.db.reading() as uow:
            promise = uow.session.get(Promise, self.bot.promise_id(external_id))
            assert promise is not None
            return promise.current_rating

    def evidence_urls(self, external_id: str) -> set[str]:
        promise_id = self.bot.promise_id(external_id)
        with self.bot.db.reading() as uow:
            return set(
                uow.session.scalars(select(Evidence.url).where(Evidence.promise_id == promise_id))
            )


def proposal_row(row: Proposal) -> ProposalRow:
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
