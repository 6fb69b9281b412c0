"""The senior-approval rule over signed HTTP: with `PROMISEBOT_SENIOR_REQUIRED_FOR`, a change
to a listed rating needs one senior editor's approval among the N; the rule is shown in the
modal, the root and the thread, enforced by the service, and snapshotted on each proposal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from promisebot.domain import ProposalStatus, Rating, Verdict
from tests.slack.bot import Bot
from tests.slack.proposal_helpers import ANNOUNCE, ED1, ED2, ED3, REVIEW, Desk, Root

SENIOR = "U_SENIOR"
SENIOR_RULE = {"senior_editors": SENIOR, "senior_required_for": "Promise Kept, Promise Broken"}
APPLIED = {"chat.postMessage": 2, "chat.update": 1}  # thread note + announcement; root


def start(make_bot: Callable[..., Bot], **settings: Any) -> Desk:
    return Desk(
        make_bot(
            review_channel=REVIEW,
            announce_channel=ANNOUNCE,
            fetch_link_titles=False,
            **settings,
        )
    )


@pytest.fixture
def desk(make_bot: Callable[..., Bot]) -> Desk:
    return start(make_bot, **SENIOR_RULE)


def progress(desk: Desk, root: Root) -> str:
    """The root's context line with the approvals."""
    blocks = desk.root_message(root)["blocks"]
    return next(
        element["text"]
        for block in blocks
        if block["type"] == "context"
        for element in block["elements"]
        if "approvals" in element["text"]
    )


def thread_texts(desk: Desk, root: Root) -> list[str]:
    return [str(post["text"]) for post in desk.thread_posts(root)]


def test_two_ordinary_approvals_wait_for_a_senior_whose_approval_applies_it(desk: Desk) -> None:
    root = desk.propose(rating=Rating.PROMISE_BROKEN)
    assert "one approval must be a senior editor's" in progress(desk, root)

    desk.approve(root, ED2)
    desk.approve(root, ED3)
    desk.quiet()

    assert desk.proposal(root).status is ProposalStatus.OPEN
    assert desk.rating("police-liability") is Rating.STALLED
    assert desk.changes("police-liability") == []
    assert "2/2 approvals: <@U_ED2>, <@U_ED3> · waiting for a senior editor" in progress(desk, root)
    assert thread_texts(desk, root)[-1] == (
        ":+1: <@U_ED3> approved (2/2 approvals · waiting for a senior editor)."
    )

    desk.approve(root, SENIOR, APPLIED)
    desk.quiet()

    assert desk.proposal(root).status is ProposalStatus.APPROVED
    assert desk.rating("police-liability") is Rating.PROMISE_BROKEN
    [change] = desk.changes("police-liability")
    assert change[3] == [ED2, ED3, SENIOR]
    assert "<@U_SENIOR> (senior)" in progress(desk, root)
    assert "3/2 approvals, one from a senior editor" in thread_texts(desk, root)[-1]
    assert [(r, v) for r, v, _ in desk.reviews(root)] == [
        (ED2, Verdict.APPROVE),
        (ED3, Verdict.APPROVE),
        (SENIOR, Verdict.APPROVE),
    ]


def test_a_seniors_approval_counts_as_one_of_the_n(desk: Desk) -> None:
    root = desk.propose(rating=Rating.PROMISE_KEPT)
    desk.approve(root, SENIOR)
    assert "1/2 approvals: <@U_SENIOR> (senior)" in progress(desk, root)
    assert desk.proposal(root).status is ProposalStatus.OPEN

    desk.approve(root, ED2, APPLIED)
    assert desk.proposal(root).status is ProposalStatus.APPROVED
    assert desk.rating("police-liability") is Rating.PROMISE_KEPT


def test_in_the_works_applies_with_two_ordinary_approvals(desk: Desk) -> None:
    root = desk.propose(rating=Rating.IN_THE_WORKS)
    assert "senior" not in progress(desk, root)
    desk.approve(root, ED2)
    desk.approve(root, ED3, APPLIED)
    assert desk.proposal(root).status is ProposalStatus.APPROVED
    assert desk.rating("police-liability") is Rating.IN_THE_WORKS


def test_the_modal_and_the_confirmation_say_which_ratings_need_a_senior(desk: Desk) -> None:
    modal = desk.open_modal_by_command("police-liability")
    shown = repr(modal.args["view"]["blocks"])
    assert "A change to Promise Kept or Promise Broken needs one of them from a senior editor." in (
        shown
    )
    desk.run(
        lambda: desk.submit_proposal(modal, rating=Rating.PROMISE_BROKEN),
        {"chat.postMessage": 1, "chat.postEphemeral": 1},
    )
    confirmation = desk.fake.calls("chat.postEphemeral")[-1].args
    assert "2 approvals from other editors, one of them from a senior editor." in repr(
        confirmation["blocks"]
    )


def test_without_the_rule_the_modal_says_nothing_of_seniors(make_bot: Callable[..., Bot]) -> None:
    desk = start(make_bot)
    modal = desk.open_modal_by_command("police-liability")
    assert "senior" not in repr(modal.args["view"]["blocks"])


def test_a_rule_changed_after_a_proposal_was_opened_does_not_change_that_proposal(
    make_bot: Callable[..., Bot],
) -> None:
    with_rule = start(make_bot, **SENIOR_RULE)
    needs_senior = with_rule.propose("police-liability", rating=Rating.PROMISE_BROKEN)
    without_rule = start(make_bot)
    ordinary = without_rule.propose("rent-cap", rating=Rating.PROMISE_BROKEN)

    # The rule is dropped for the first proposal, and turned on for the second.
    dropped = start(make_bot)
    dropped.approve(needs_senior, ED2)
    dropped.approve(needs_senior, ED3)
    assert dropped.proposal(needs_senior).status is ProposalStatus.OPEN
    assert "waiting for a senior editor" in progress(dropped, needs_senior)

    turned_on = start(make_bot, **SENIOR_RULE)
    turned_on.approve(ordinary, ED2)
    turned_on.approve(ordinary, ED3, APPLIED)
    assert turned_on.proposal(ordinary).status is ProposalStatus.APPROVED
    assert turned_on.rating("rent-cap") is Rating.PROMISE_BROKEN

    # And a new proposal follows the rule in force when it is made.
    fresh = turned_on.propose("halve-energy-prices", rating=Rating.PROMISE_BROKEN, user=ED1)
    turned_on.approve(fresh, ED2)
    turned_on.approve(fresh, ED3)
    assert turned_on.proposal(fresh).status is ProposalStatus.OPEN


def test_senior_group_members_are_seniors_and_editors(make_bot: Callable[..., Bot]) -> None:
    bot = make_bot(
        review_channel=REVIEW,
        announce_channel=ANNOUNCE,
        fetch_link_titles=False,
        senior_group="S_SENIORS",
        senior_required_for="broken",
    )
    bot.fake.set_usergroup("S_SENIORS", ["U_CHIEF"])
    desk = Desk(bot)
    root = desk.propose(rating=Rating.PROMISE_BROKEN)
    desk.approve(root, ED2)
    desk.approve(root, "U_CHIEF", APPLIED)
    assert desk.proposal(root).status is ProposalStatus.APPROVED
    assert "S_SENIORS" in [c.args["usergroup"] for c in bot.fake.calls("usergroups.users.list")]


def test_a_senior_may_propose_and_then_another_senior_must_approve(desk: Desk) -> None:
    root = desk.propose(rating=Rating.PROMISE_BROKEN, user=SENIOR)
    desk.approve(root, ED2)
    desk.approve(root, ED3)
    desk.quiet()
    assert desk.proposal(root).status is ProposalStatus.OPEN
    assert "waiting for a senior editor" in progress(desk, root)
