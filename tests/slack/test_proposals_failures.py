"""Slack answering 429 or 5xx while the bot posts and updates after a commit: retried calls
post once, failed ones are logged, the change stays applied, and the next event on the
proposal re-renders its root from the database."""

from __future__ import annotations

import logging

import pytest

from promisebot.domain import ProposalStatus, Rating, Verdict
from promisebot.slack.blocks.common import Act
from tests.slack.proposal_helpers import (
    ANNOUNCE,
    DESK,
    ED1,
    ED2,
    ED3,
    REVIEW,
    Desk,
    action_ids,
    all_text,
)

OPEN_BUTTONS = {Act.APPROVE, Act.REJECT, Act.WITHDRAW}
UPDATES_LOG = "promisebot.slack.notify.proposals"


def test_rate_limits_during_the_applying_review_post_each_message_once(desk: Desk) -> None:
    root = desk.propose()
    desk.approve(root, ED2)
    desk.fake.fail_next("chat.postMessage", status=429, retry_after=0, times=2)
    desk.fake.fail_next("chat.update", status=429, retry_after=0)

    desk.approve(root, ED3, {"chat.postMessage": 2, "chat.update": 1})
    desk.quiet()

    assert [c.response.get("error") for c in desk.fake.failed_calls] == ["ratelimited"] * 3
    assert len(desk.thread_posts(root)) == 2  # ED2's ack and the summary, once each
    announcements = [
        c for c in desk.fake.calls("chat.postMessage") if c.args["channel"] == ANNOUNCE
    ]
    assert len(announcements) == 1
    assert action_ids(desk.root_message(root)["blocks"]) == set()
    assert desk.proposal(root).status is ProposalStatus.APPROVED


def test_a_server_error_on_the_root_update_is_retried(desk: Desk) -> None:
    root = desk.propose()
    desk.fake.fail_next("chat.update", status=500)
    desk.approve(root, ED2)
    desk.quiet()
    assert [c.method for c in desk.fake.failed_calls] == ["chat.update"]
    assert "1/2 approvals" in all_text(desk.root_message(root)["blocks"])


def test_a_failed_root_update_loses_nothing_and_the_next_event_re_renders(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    root = desk.propose()
    desk.approve(root, ED2)
    # More 502s than the client retries: the update fails for good.
    desk.fake.fail_next("chat.update", status=502, times=3)
    with caplog.at_level(logging.ERROR, logger=UPDATES_LOG):
        desk.approve(root, ED3, {"chat.postMessage": 2})
        desk.quiet()

    assert desk.proposal(root).status is ProposalStatus.APPROVED
    assert desk.rating("police-liability") is Rating.PROMISE_BROKEN
    assert desk.changes("police-liability") == [
        (Rating.STALLED, Rating.PROMISE_BROKEN, ED1, [ED2, ED3], root.proposal_id)
    ]
    assert action_ids(desk.root_message(root)["blocks"]) == OPEN_BUTTONS  # outdated
    assert any("root failed" in record.getMessage() for record in caplog.records)

    # Someone presses a button left on the outdated root: told, and the root is redrawn.
    desk.run(
        lambda: desk.press(root, Act.APPROVE, ED3), {"chat.postEphemeral": 1, "chat.update": 1}
    )
    assert desk.ephemerals(ED3)[-1] == "This proposal is already approved; nothing was changed."
    shown = desk.root_message(root)
    assert action_ids(shown["blocks"]) == set() and "Approved" in all_text(shown["blocks"])
    assert len(desk.reviews(root)) == 2


def test_a_failed_thread_acknowledgement_keeps_the_review(desk: Desk) -> None:
    root = desk.propose()
    desk.fake.fail_next("chat.postMessage", status=502, times=3)
    desk.approve(root, ED2, {"chat.update": 1})
    desk.quiet()
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]
    assert desk.thread_posts(root) == []
    assert "1/2 approvals" in all_text(desk.root_message(root)["blocks"])


def test_a_failed_root_post_keeps_the_proposal_and_tells_the_proposer(desk: Desk) -> None:
    modal = desk.open_modal_by_command("police-liability")
    desk.fake.fail_next("chat.postMessage", status=502, times=3)
    desk.run(lambda: desk.submit_proposal(modal), {"chat.postEphemeral": 1})
    desk.quiet()

    [notice] = desk.fake.calls("chat.postEphemeral")
    assert notice.args["user"] == ED1 and notice.args["channel"] == DESK
    assert "saved" in notice.args["text"]
    [stored] = desk.open_proposals("police-liability")
    assert stored.status is ProposalStatus.OPEN and stored.message_ts is None


def test_when_the_ephemeral_is_refused_the_proposer_gets_a_dm(desk: Desk) -> None:
    modal = desk.open_modal_by_command("police-liability")
    desk.fake.fail_next("chat.postEphemeral", error="channel_not_found")
    calls = desk.run(lambda: desk.submit_proposal(modal), {"chat.postMessage": 2})
    root_post, dm = calls["chat.postMessage"]
    assert root_post.args["channel"] == REVIEW
    assert dm.args["channel"] == ED1 and "up for review" in dm.args["text"]
