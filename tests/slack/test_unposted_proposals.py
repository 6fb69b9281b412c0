"""Proposals that cannot be posted (item 4), over signed HTTP: started where the bot cannot
post with no review channel, the modal asks where; a root Slack refused gets *Post for
review* and *Withdraw* for its proposer, in the notice and on the card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from promisebot.domain import ProposalStatus, Rating
from promisebot.sandbox.state_values import selected, state_values
from promisebot.slack.blocks import proposal_modals as modals
from promisebot.slack.blocks.common import Act, Views
from tests.blocks import assert_valid_blocks
from tests.slack.bot import Bot
from tests.slack.proposal_helpers import DESK, ED1, ED2, REVIEW, Desk, Root, action_ids, field
from tests.slack.test_real_traffic import post_form

DM = "D0ED1DM"


def channel_block(view: dict[str, Any]) -> dict[str, Any] | None:
    found = [b for b in view["blocks"] if b.get("block_id") == modals.CHANNEL]
    return found[0] if found else None


def test_a_proposal_started_in_a_dm_asks_where_to_post(make_bot: Callable[..., Bot]) -> None:
    desk = Desk(make_bot(fetch_link_titles=False))  # no review channel
    earlier = desk.propose("police-liability")  # from the newsroom: no question asked
    assert earlier.channel == DESK
    assert channel_block(desk.fake.calls("views.open")[-1].args["view"]) is None

    # /promise propose typed in a DM with the bot (Slack says `channel_name: directmessage`).
    payload = desk.driver.command_payload("propose rent-cap", user=ED1, channel=DM)
    payload["channel_name"] = "directmessage"
    [modal] = desk.run(lambda: post_form(desk, payload), {"views.open": 1})["views.open"]
    view = modal.args["view"]
    assert_valid_blocks(view["blocks"])
    block = channel_block(view)
    assert block is not None
    assert block["element"]["type"] == "conversations_select"
    assert block["element"]["initial_conversation"] == DESK  # the last one used

    values: dict[Any, Any] = {
        field(modals.RATING): selected(Rating.PROMISE_BROKEN.value, Rating.PROMISE_BROKEN.label),
        field(modals.RATIONALE): "Dropped from the budget.",
        field(modals.LINKS): None,
        field(modals.CHANNEL): {"type": "conversations_select", "selected_conversation": "C_OTHER"},
    }
    calls = desk.run(
        lambda: desk.driver.view_submission(
            Views.PROPOSE,
            state_values(values),
            user=ED1,
            private_metadata=view["private_metadata"],
            view_id=modal.response["view"]["id"],
        ),
        {"chat.postMessage": 1},
    )
    [root_post] = calls["chat.postMessage"]
    assert root_post.args["channel"] == "C_OTHER"


def refused_root(desk: Desk, external_id: str) -> tuple[int, dict[str, Any]]:
    """Propose while Slack refuses the root post; the notice the proposer got."""
    desk.fake.fail_next("chat.postMessage", error="channel_not_found")
    modal = desk.open_modal_by_command(external_id)
    desk.run(lambda: desk.submit_proposal(modal), {"chat.postEphemeral": 1})
    notice = desk.fake.calls("chat.postEphemeral")[-1].args
    [proposal_id] = [
        int(element["value"])
        for block in notice["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
        if element["action_id"] == Act.POST_PROPOSAL
    ]
    return proposal_id, notice


def test_a_refused_root_can_be_posted_or_withdrawn_by_its_proposer(
    make_bot: Callable[..., Bot],
) -> None:
    desk = Desk(make_bot(review_channel=REVIEW, fetch_link_titles=False))
    proposal_id, notice = refused_root(desk, "police-liability")
    assert_valid_blocks(notice["blocks"])
    assert action_ids(notice["blocks"]) == {Act.POST_PROPOSAL, Act.WITHDRAW}
    root = Root(proposal_id, "", "")
    assert desk.proposal(root).message_ts is None

    # The proposer's card shows the two buttons; another editor's does not.
    mine = desk.driver.command("police-liability", user=ED1).json()["blocks"]
    theirs = desk.driver.command("police-liability", user=ED2).json()["blocks"]
    assert {Act.POST_PROPOSAL, Act.WITHDRAW} <= action_ids(mine)
    assert Act.POST_PROPOSAL not in action_ids(theirs)

    # Someone else cannot post it; the proposer can, from the notice.
    message = {"type": "message", "ts": "0", "text": notice["text"], "blocks": notice["blocks"]}
    container = {"type": "message", "is_ephemeral": True, "channel_id": DESK}
    desk.run(
        lambda: desk.driver.block_action(
            Act.POST_PROPOSAL, str(proposal_id), user=ED2, message=message, container=container
        ),
        {"response_url": 1},
    )
    assert desk.proposal(root).message_ts is None
    calls = desk.run(
        lambda: desk.driver.block_action(
            Act.POST_PROPOSAL, str(proposal_id), user=ED1, message=message, container=container
        ),
        {"chat.postMessage": 1, "response_url": 1},
    )
    [post] = calls["chat.postMessage"]
    assert post.args["channel"] == REVIEW
    row = desk.proposal(root)
    assert (row.channel_id, row.message_ts) == (REVIEW, post.response["ts"])
    assert "up for review" in repr(calls["response_url"][0].args)

    # Another refused root is withdrawn from the notice's Withdraw.
    other_id, other_notice = refused_root(desk, "rent-cap")
    other = {"type": "message", "ts": "0", "text": "", "blocks": other_notice["blocks"]}
    desk.run(
        lambda: desk.driver.block_action(
            Act.WITHDRAW, str(other_id), user=ED1, message=other, container=container
        ),
        {"response_url": 1},
    )
    assert desk.proposal(Root(other_id, "", "")).status is ProposalStatus.WITHDRAWN


def test_post_for_review_without_a_review_channel_asks_where(
    make_bot: Callable[..., Bot],
) -> None:
    desk = Desk(make_bot(fetch_link_titles=False))
    proposal_id, notice = refused_root(desk, "police-liability")
    message = {"type": "message", "ts": "0", "text": "", "blocks": notice["blocks"]}
    container = {"type": "message", "is_ephemeral": True, "channel_id": DESK}
    [modal] = desk.run(
        lambda: desk.driver.block_action(
            Act.POST_PROPOSAL, str(proposal_id), user=ED1, message=message, container=container
        ),
        {"views.open": 1},
    )["views.open"]
    view = modal.args["view"]
    assert view["callback_id"] == Views.POST_PROPOSAL
    assert_valid_blocks(view["blocks"])

    values: dict[Any, Any] = {
        field(modals.CHANNEL): {"type": "conversations_select", "selected_conversation": REVIEW}
    }
    calls = desk.run(
        lambda: desk.driver.view_submission(
            Views.POST_PROPOSAL,
            state_values(values),
            user=ED1,
            private_metadata=view["private_metadata"],
            view_id=modal.response["view"]["id"],
        ),
        {"chat.postMessage": 1, "chat.postEphemeral": 1},
    )
    assert calls["chat.postMessage"][0].args["channel"] == REVIEW
    assert desk.proposal(Root(proposal_id, "", "")).channel_id == REVIEW
