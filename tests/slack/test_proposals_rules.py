"""The review rules over signed HTTP: who may act, counting once, changed minds, rejections,
withdrawal, stale and expired proposals, escaping, and the modal's field errors."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import select

from promisebot.db.models import ProcessedEvent, Proposal
from promisebot.domain import NotAnEditor, ProposalStatus, Rating, Verdict
from promisebot.slack.blocks import proposal_modals as modals
from promisebot.slack.blocks.common import Act, Views
from tests.blocks import assert_valid_blocks
from tests.slack.bot import REPORTER, Bot
from tests.slack.proposal_helpers import (
    DESK,
    ED1,
    ED2,
    ED3,
    REVIEW,
    Desk,
    action_ids,
    all_text,
)

SELF_REVIEW = "You proposed this change, so another editor has to review it."
NOT_EDITOR_REVIEW = str(NotAnEditor("review rating changes"))
NOT_EDITOR_PROPOSE = str(NotAnEditor("propose rating changes"))


def proposal_count(desk: Desk) -> int:
    with desk.bot.db.reading() as uow:
        return len(uow.session.scalars(select(Proposal.id)).all())


# -- who may act ---------------------------------------------------------------------------


def test_the_proposer_cannot_review_their_own_proposal(desk: Desk) -> None:
    root = desk.propose()

    desk.run(lambda: desk.press(root, Act.APPROVE, ED1), {"chat.postEphemeral": 1})
    desk.run(lambda: desk.reply(root, "lgtm", ED1), {"chat.postEphemeral": 1})
    [by_reply] = [
        c for c in desk.fake.calls("chat.postEphemeral") if c.args.get("thread_ts") == root.ts
    ]
    assert by_reply.args["user"] == ED1 and by_reply.args["channel"] == REVIEW
    desk.run(lambda: desk.press(root, Act.REJECT, ED1), {"chat.postEphemeral": 1})
    desk.quiet()

    assert desk.ephemerals(ED1)[-3:] == [SELF_REVIEW] * 3
    assert desk.reviews(root) == []
    assert desk.thread_posts(root) == []
    assert desk.count("views.open") == 1  # only the propose modal; no reason modal
    assert desk.proposal(root).status is ProposalStatus.OPEN


def test_non_editors_are_refused_and_nothing_changes(desk: Desk) -> None:
    body = desk.driver.command("propose police-liability", user=REPORTER).json()
    assert NOT_EDITOR_PROPOSE in body["text"]

    card = desk.driver.command("police-liability", user=ED1).json()  # an editor's card
    message = {"type": "message", "ts": "0", "text": card["text"], "blocks": card["blocks"]}
    desk.run(
        lambda: desk.driver.block_action(
            Act.PROPOSE,
            str(desk.bot.promise_id("police-liability")),
            user=REPORTER,
            message=message,
            container={"type": "message", "is_ephemeral": True, "channel_id": DESK},
        ),
        {"response_url": 1},
    )
    assert NOT_EDITOR_PROPOSE in desk.fake.calls("response_url")[-1].args["text"]
    assert desk.count("views.open") == 0

    root = desk.propose()
    desk.run(lambda: desk.press(root, Act.APPROVE, REPORTER), {"chat.postEphemeral": 1})
    desk.run(lambda: desk.reply(root, "approve", REPORTER), {"chat.postEphemeral": 1})
    desk.run(lambda: desk.press(root, Act.REJECT, REPORTER), {"chat.postEphemeral": 1})
    desk.quiet()
    assert desk.ephemerals(REPORTER) == [NOT_EDITOR_REVIEW] * 3
    assert desk.reviews(root) == []
    assert desk.thread_posts(root) == []
    assert desk.proposal(root).status is ProposalStatus.OPEN


def test_editor_group_members_review_and_the_last_known_list_outlives_a_slack_failure(
    make_bot: Callable[..., Bot],
) -> None:
    bot = make_bot(editor_group="S_EDITORS", editor_cache_seconds=60, fetch_link_titles=False)
    bot.fake.set_usergroup("S_EDITORS", ["U_GROUPIE", "U_GROUPIE2"])
    desk = Desk(bot)
    root = desk.propose()

    desk.approve(root, "U_GROUPIE")
    assert desk.reviews(root) == [("U_GROUPIE", Verdict.APPROVE, "")]
    assert [c.args["usergroup"] for c in bot.fake.calls("usergroups.users.list")] == ["S_EDITORS"]

    # The cache has aged out and Slack cannot answer: the last known members stay editors.
    bot.clock.advance(seconds=120)
    bot.fake.fail_next("usergroups.users.list", status=502)
    desk.approve(root, "U_GROUPIE2", {"chat.postMessage": 1, "chat.update": 1})
    assert [r for r, _, _ in desk.reviews(root)] == ["U_GROUPIE", "U_GROUPIE2"]
    assert desk.proposal(root).status is ProposalStatus.APPROVED
    assert len(bot.fake.failed_calls) == 1


# -- counting once -------------------------------------------------------------------------


def test_a_double_click_counts_once(desk: Desk) -> None:
    root = desk.propose()
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: desk.press(root, Act.APPROVE, ED2), range(2)))
    assert [r.status_code for r in responses] == [200, 200]
    desk.fake.wait_for("chat.postEphemeral", 2)  # the confirmation, then "already counted"
    desk.quiet()

    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]
    assert len(desk.thread_posts(root)) == 1
    assert desk.ephemerals(ED2) == ["Your approval is already counted (1/2 approvals)."]
    assert desk.proposal(root).status is ProposalStatus.OPEN


def test_retried_and_duplicate_deliveries_count_once(desk: Desk) -> None:
    root = desk.propose()
    desk.run(
        lambda: desk.reply(root, "approve", ED2, event_id="EvFIRST0001"),
        {"chat.postMessage": 1},
    )
    # Slack's retry of the same event, and a duplicate delivery racing another one.
    desk.reply(root, "approve", ED2, event_id="EvFIRST0001", retry_num=1)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: desk.reply(root, "lgtm", ED3, event_id="EvSECOND001"), range(2)))
    desk.fake.wait_for("chat.postMessage", 4)  # root, ED2's ack, ED3's summary, announcement
    desk.quiet()

    assert [r for r, _, _ in desk.reviews(root)] == [ED2, ED3]
    assert len(desk.thread_posts(root)) == 2
    assert desk.changes("police-liability") == [
        (Rating.STALLED, Rating.PROMISE_BROKEN, ED1, [ED2, ED3], root.proposal_id)
    ]
    with desk.bot.db.reading() as uow:
        handled = set(uow.session.scalars(select(ProcessedEvent.event_id)))
    assert {"EvFIRST0001", "EvSECOND001"} <= handled


def test_a_retry_whose_first_delivery_was_lost_still_counts(desk: Desk) -> None:
    root = desk.propose()
    desk.run(
        lambda: desk.reply(root, "approve", ED2, event_id="EvLOST00001", retry_num=2),
        {"chat.postMessage": 1},
    )
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]


# -- changed minds and rejections ----------------------------------------------------------


def test_a_changed_mind_replaces_the_earlier_verdict(desk: Desk) -> None:
    root = desk.propose()
    desk.approve(root, ED2)
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]

    desk.run(
        lambda: desk.reply(root, "reject: the vote is not final", ED2),
        {"chat.postMessage": 1, "chat.update": 1},
    )
    assert desk.reviews(root) == [(ED2, Verdict.REJECT, "the vote is not final")]
    assert desk.proposal(root).status is ProposalStatus.REJECTED
    note = all_text(desk.thread_posts(root)[-1]["blocks"])
    assert f"<@{ED2}> rejected this proposal: the vote is not final" in note
    shown = desk.root_message(root)
    assert action_ids(shown["blocks"]) == set()
    assert "Rejected" in all_text(shown["blocks"]) and "0/2 approvals" in all_text(shown["blocks"])
    assert desk.changes("police-liability") == []
    assert desk.rating("police-liability") is Rating.STALLED


def test_a_rejection_without_a_reason_is_refused(desk: Desk) -> None:
    root = desk.propose()
    desk.run(lambda: desk.reply(root, "reject", ED2), {"chat.postEphemeral": 1})
    assert "A rejection needs a reason" in desk.ephemerals(ED2)[-1]

    response = desk.reject_by_button(root, ED3, "   ")
    assert response.json() == {
        "response_action": "errors",
        "errors": {modals.REASON: desk.ephemerals(ED2)[-1]},
    }
    desk.quiet()
    assert desk.reviews(root) == []
    assert desk.thread_posts(root) == []
    assert desk.proposal(root).status is ProposalStatus.OPEN


def test_a_rejection_with_a_reason_closes_the_proposal(desk: Desk) -> None:
    root = desk.propose()
    desk.approve(root, ED3)
    calls = desk.run(
        lambda: desk.reject_by_button(root, ED2, "No source says the bill is dead."),
        {"chat.postMessage": 1, "chat.update": 1},
    )
    assert "rejected this proposal: No source says" in all_text(
        calls["chat.postMessage"][0].args["blocks"]
    )
    assert desk.proposal(root).status is ProposalStatus.REJECTED
    assert desk.reviews(root) == [
        (ED3, Verdict.APPROVE, ""),
        (ED2, Verdict.REJECT, "No source says the bill is dead."),
    ]
    shown = all_text(desk.root_message(root)["blocks"])
    assert f"by <@{ED2}>" in shown and "No source says the bill is dead." in shown

    # Reviews on a closed proposal change nothing and say why.
    desk.run(lambda: desk.press(root, Act.APPROVE, ED3), {"chat.postEphemeral": 1})
    desk.run(lambda: desk.reply(root, "approve", ED3), {"chat.postEphemeral": 1})
    desk.quiet()
    assert (
        desk.ephemerals(ED3)[-2:] == ["This proposal is already rejected; nothing was changed."] * 2
    )
    assert len(desk.reviews(root)) == 2
    assert desk.changes("police-liability") == []


# -- withdraw, stale, expiry ---------------------------------------------------------------


def test_only_the_proposer_may_withdraw(desk: Desk) -> None:
    root = desk.propose()
    desk.run(lambda: desk.press(root, Act.WITHDRAW, ED2), {"chat.postEphemeral": 1})
    assert desk.ephemerals(ED2) == ["Only the editor who proposed this change can withdraw it."]
    assert desk.proposal(root).status is ProposalStatus.OPEN

    desk.run(lambda: desk.press(root, Act.WITHDRAW, ED1), {"chat.postMessage": 1, "chat.update": 1})
    assert desk.proposal(root).status is ProposalStatus.WITHDRAWN
    assert f"<@{ED1}> withdrew this proposal" in all_text(desk.thread_posts(root)[-1]["blocks"])
    shown = desk.root_message(root)
    assert action_ids(shown["blocks"]) == set() and "Withdrawn" in all_text(shown["blocks"])

    desk.run(lambda: desk.press(root, Act.APPROVE, ED2), {"chat.postEphemeral": 1})
    assert desk.ephemerals(ED2)[-1] == "This proposal is already withdrawn; nothing was changed."
    assert desk.reviews(root) == []


def test_a_competing_proposal_applied_makes_the_others_stale(desk: Desk) -> None:
    first = desk.propose(rating=Rating.PROMISE_BROKEN)
    second = desk.propose(user=ED2, rating=Rating.IN_THE_WORKS, rationale="A hearing is set.")
    desk.approve(second, ED3)

    desk.approve(first, ED2)
    desk.approve(first, ED3, {"chat.postMessage": 2, "chat.update": 2})
    desk.quiet()

    assert desk.proposal(first).status is ProposalStatus.APPROVED
    assert desk.proposal(second).status is ProposalStatus.STALE
    stale_root = desk.root_message(second)
    assert action_ids(stale_root["blocks"]) == set()
    stale_text = all_text(stale_root["blocks"])
    assert "Stale" in stale_text and "now rated" in stale_text and "Promise Broken" in stale_text
    assert "1 other open proposal went stale" in all_text(desk.thread_posts(first)[-1]["blocks"])

    desk.run(lambda: desk.reply(second, "lgtm", ED1), {"chat.postEphemeral": 1})
    assert desk.ephemerals(ED1)[-1] == "This proposal is already stale; nothing was changed."
    assert [r for r, _, _ in desk.reviews(second)] == [ED3]
    assert desk.rating("police-liability") is Rating.PROMISE_BROKEN


def test_open_proposals_expire_and_their_roots_say_so(desk: Desk) -> None:
    old = desk.propose()
    desk.bot.clock.advance(days=10)
    recent = desk.propose("border-wall", rating=Rating.STALLED)
    desk.bot.clock.advance(days=5)  # `old` is 15 days old, past the 14-day TTL

    jobs = {job_id: run for job_id, run, _every in desk.bot.runtime.scheduled_jobs()}
    run_job = jobs["proposals:expire"]
    updates = desk.count("chat.update")
    assert run_job() == 1
    assert desk.count("chat.update") == updates + 1

    assert desk.proposal(old).status is ProposalStatus.EXPIRED
    assert desk.proposal(recent).status is ProposalStatus.OPEN
    shown = desk.root_message(old)
    assert action_ids(shown["blocks"]) == set() and "Expired" in all_text(shown["blocks"])
    assert action_ids(desk.root_message(recent)["blocks"]) == {
        Act.APPROVE,
        Act.REJECT,
        Act.WITHDRAW,
    }
    assert run_job() == 0


# -- escaping and field errors -------------------------------------------------------------

HOSTILE = "<!channel> see <http://evil.example|this> & <@U_ED2> `code` *bold*"


def test_hostile_text_in_the_rationale_and_reason_is_escaped(desk: Desk) -> None:
    root = desk.propose(rationale=HOSTILE, links="https://news.example/a?b=1&c=2")
    assert desk.proposal(root).rationale == HOSTILE  # stored as typed
    posted = desk.fake.calls("chat.postMessage")[0].args
    for shown in (all_text(posted["blocks"]), posted["text"]):
        assert "<!channel>" not in shown and "<http://evil.example|this>" not in shown
        assert "<@U_ED2>" not in shown.replace(f"<@{ED1}>", "")
    assert "&lt;!channel&gt;" in all_text(posted["blocks"])
    assert "<https://news.example/a?b=1&amp;c=2|" in all_text(posted["blocks"])
    assert "link_names" not in posted and "parse" not in posted

    desk.run(
        lambda: desk.reject_by_button(root, ED2, "<!here> nope & <https://x.example|y>"),
        {"chat.postMessage": 1, "chat.update": 1},
    )
    note = desk.thread_posts(root)[-1]
    shown_root = all_text(desk.root_message(root)["blocks"])
    for shown in (all_text(note["blocks"]), note["text"], shown_root):
        assert "<!here>" not in shown and "<https://x.example|y>" not in shown
        assert "&lt;!here&gt; nope &amp;" in shown


def test_field_errors_come_back_inside_the_modal(desk: Desk) -> None:
    modal = desk.open_modal_by_command("police-liability")

    def errors(**form: object) -> dict[str, str]:
        response = desk.submit_proposal(modal, **form)  # type: ignore[arg-type]
        body = response.json()
        assert body["response_action"] == "errors"
        return dict(body["errors"])

    assert set(errors(rating=None)) == {modals.RATING}
    assert errors(rationale="   ") == {modals.RATIONALE: "Say why the rating should change."}
    assert "http:// or https://" in errors(links="ftp://files.example/x")[modals.LINKS]
    assert "one link per line" in errors(links="https://a.example https://b.example")[modals.LINKS]
    assert errors(rating=Rating.STALLED) == {
        modals.RATING: "The promise is already rated Stalled; pick another rating."
    }
    assert errors(effective_on=date(2030, 1, 1)) == {
        modals.EFFECTIVE_ON: "The effective date can't be in the future."
    }
    assert (
        "can't be before Oct 24, 2025" in errors(effective_on=date(2025, 1, 1))[modals.EFFECTIVE_ON]
    )
    many = "\n".join(f"https://news.example/{n}" for n in range(11))
    assert set(errors(rationale="", links=many)) == {modals.RATIONALE, modals.LINKS}

    desk.quiet()
    assert proposal_count(desk) == 0
    assert desk.count("chat.postMessage") == 0

    # A valid submission after the errors goes through, with its effective date.
    desk.run(
        lambda: desk.submit_proposal(modal, effective_on=date(2026, 11, 20)),
        {"chat.postMessage": 1},
    )
    assert proposal_count(desk) == 1


def test_the_propose_modal_is_well_formed_and_the_command_explains_itself(desk: Desk) -> None:
    modal = desk.open_modal_by_command("border-wall")
    view = modal.args["view"]
    assert view["callback_id"] == Views.PROPOSE
    assert_valid_blocks(view["blocks"])
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert set(inputs) == set(modals.PROPOSE_FIELDS)
    assert inputs[modals.RATIONALE]["element"]["max_length"] == 2000
    assert inputs[modals.LINKS]["optional"] and inputs[modals.EFFECTIVE_ON]["optional"]
    assert not inputs[modals.RATIONALE]["optional"]
    assert [o["value"] for o in inputs[modals.RATING]["element"]["options"]] == [
        r.value for r in Rating if r is not Rating.IN_THE_WORKS
    ]

    assert "Usage: `/promise propose" in desk.driver.command("propose", user=ED1).json()["text"]
    assert (
        "matches several promises"
        in desk.driver.command("propose tariffs", user=ED1).json()["text"]
    )
    assert "No promise" in desk.driver.command("propose zebra quantum", user=ED1).json()["text"]
    assert desk.count("views.open") == 1


def test_concurrent_approvals_all_count_apply_once_and_leave_the_root_current(
    make_bot: Callable[..., Bot],
) -> None:
    reviewers = [f"U_REV{n}" for n in range(5)]
    bot = make_bot(
        editors=",".join([ED1, *reviewers]),
        approvals_required=len(reviewers),
        review_channel=REVIEW,
        fetch_link_titles=False,
    )
    desk = Desk(bot)
    root = desk.propose()
    with ThreadPoolExecutor(len(reviewers)) as pool:
        list(pool.map(lambda user: desk.press(root, Act.APPROVE, user), reviewers))
    desk.fake.wait_for("chat.postMessage", 1 + len(reviewers))
    desk.quiet()

    assert sorted(r for r, _, _ in desk.reviews(root)) == reviewers
    assert len(desk.thread_posts(root)) == len(reviewers)
    [(_, _, _, approvers, _)] = desk.changes("police-liability")
    assert sorted(approvers) == reviewers
    shown = desk.root_message(root)
    assert action_ids(shown["blocks"]) == set()
    assert f"{len(reviewers)}/{len(reviewers)} approvals" in all_text(shown["blocks"])


def test_the_largest_proposal_still_fits_with_its_buttons(desk: Desk) -> None:
    rationale = ("<&> " * 500)[:2000]
    links = "\n".join(f"https://news.example/{n}/{'x' * 1400}" for n in range(10))
    root = desk.propose(rationale=rationale, links=links)
    shown = desk.root_message(root)  # Slack (the fake) took it; the blocks are valid
    assert action_ids(shown["blocks"]) == {Act.APPROVE, Act.REJECT, Act.WITHDRAW}
    text = all_text(shown["blocks"])
    assert "more_" in text and "|https://news.example/0/" in text
    assert len(desk.proposal(root).links) == 10
