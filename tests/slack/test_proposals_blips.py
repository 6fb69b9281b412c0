"""Proposals when the database stays away past the retries: nothing the person did is
dropped in silence (told "not saved — please try again", in the thread or the modal; never a
5xx), and a root whose ts was not recorded is found again by its metadata, or re-posted."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from promisebot.db.models import ProcessedEvent
from promisebot.db.retry import RetryPolicy
from promisebot.domain import Verdict
from promisebot.slack.blocks.common import Act
from tests.db.blips import failing_statements
from tests.slack.bot import Bot
from tests.slack.proposal_helpers import ANNOUNCE, ED1, ED2, REVIEW, Desk, Root

NOT_SAVED = "not saved — please try again"


@pytest.fixture
def desk(make_bot: Callable[..., Bot]) -> Desk:
    desk = Desk(make_bot(review_channel=REVIEW, announce_channel=ANNOUNCE, fetch_link_titles=False))
    # Retries spent at once, so that an outage is an outage without waiting it out.
    desk.bot.db.retry = RetryPolicy(attempts=2, sleep=lambda _s: None)
    return desk


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.exc_info]


def test_a_reply_the_database_did_not_take_is_answered_in_the_thread_and_redelivery_counts(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    root = desk.propose()
    with caplog.at_level(logging.INFO), failing_statements():
        calls = desk.run(
            lambda: desk.reply(root, "approve", ED2, event_id="EvBLIP1"), {"chat.postEphemeral": 1}
        )
    [told] = calls["chat.postEphemeral"]
    assert (told.args["user"], told.args["channel"], told.args["thread_ts"]) == (
        ED2,
        root.channel,
        root.ts,
    )
    assert "Your approval was " + NOT_SAVED in told.args["text"]
    assert desk.reviews(root) == []
    assert tracebacks(caplog) == [f"approval by {ED2} not saved"]  # once, with its traceback
    retried = [r for r in caplog.records if r.getMessage().startswith("database ")]
    assert len(retried) == 1 and retried[0].exc_info is None

    # The failed delivery was not claimed: Slack's retry of it is reviewed, and acknowledged.
    desk.run(
        lambda: desk.reply(root, "approve", ED2, event_id="EvBLIP1", retry_num=1),
        {"chat.postMessage": 1, "chat.update": 1},
    )
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]
    assert "1/2 approvals" in str(desk.thread_posts(root)[-1]["text"])
    desk.quiet()


def test_an_approve_button_the_database_did_not_take_is_answered(desk: Desk) -> None:
    root = desk.propose()
    with failing_statements():
        calls = desk.run(lambda: desk.press(root, Act.APPROVE, ED2), {"chat.postEphemeral": 1})
    [told] = calls["chat.postEphemeral"]
    assert told.args["user"] == ED2 and told.args["channel"] == root.channel
    assert "Your approval was " + NOT_SAVED in told.args["text"]
    assert desk.reviews(root) == []


def test_a_proposal_submission_the_database_did_not_take_is_answered_in_the_modal(
    desk: Desk,
) -> None:
    modal = desk.open_modal_by_command("police-liability")
    with failing_statements():
        response = desk.submit_proposal(modal)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert "not saved" in " ".join(answer["errors"].values())
    assert desk.open_proposals("police-liability") == []
    # The same modal, submitted again once the database is back, is stored.
    desk.run(lambda: desk.submit_proposal(modal), {"chat.postMessage": 1})
    assert len(desk.open_proposals("police-liability")) == 1


def test_a_root_is_posted_with_its_proposal_in_the_message_metadata(desk: Desk) -> None:
    root = desk.propose()
    [post] = [
        call for call in desk.fake.calls("chat.postMessage") if call.response.get("ts") == root.ts
    ]
    assert post.args["metadata"] == {
        "event_type": "promisebot_proposal",
        "event_payload": {"proposal_id": root.proposal_id},
    }


def sweep(desk: Desk) -> int:
    desk.bot.clock.advance(minutes=3)  # past the grace given to a root being posted
    jobs = {job_id: run for job_id, run, _every in desk.bot.runtime.scheduled_jobs()}
    return int(str(jobs["proposals:roots"]()))


def roots_posted(desk: Desk) -> list[str]:
    return [
        str(call.response["ts"])
        for call in desk.fake.calls("chat.postMessage")
        if call.args.get("channel") == REVIEW and not call.args.get("thread_ts")
    ]


def test_a_root_whose_ts_was_not_recorded_is_found_by_its_metadata(desk: Desk) -> None:
    modal = desk.open_modal_by_command("police-liability")
    with failing_statements("UPDATE proposals"):
        desk.run(lambda: desk.submit_proposal(modal), {"chat.postMessage": 1})
        desk.quiet()
    [proposal] = desk.open_proposals("police-liability")
    assert proposal.message_ts is None
    [posted] = roots_posted(desk)
    assert any("saved but was not posted" in text for text in desk.ephemerals(ED1))

    assert sweep(desk) == 1
    [proposal] = desk.open_proposals("police-liability")
    assert (proposal.channel_id, proposal.message_ts) == (REVIEW, posted)
    assert roots_posted(desk) == [posted]  # found, not posted again
    assert sweep(desk) == 0

    # Replies in its thread count again.
    root = desk_root(desk, posted)
    desk.run(lambda: desk.reply(root, "lgtm", ED2), {"chat.postMessage": 1, "chat.update": 1})
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]
    desk.quiet()


def desk_root(desk: Desk, ts: str) -> Root:
    with desk.bot.db.reading() as uow:
        proposal_id = uow.proposals.id_at_message(REVIEW, ts)
    assert proposal_id is not None
    return Root(proposal_id, REVIEW, ts)


def test_a_root_slack_never_took_is_posted_again_by_the_sweep(desk: Desk) -> None:
    modal = desk.open_modal_by_command("police-liability")
    desk.fake.fail_next("chat.postMessage", status=502, times=3)  # more than the client retries
    desk.run(lambda: desk.submit_proposal(modal), {"chat.postEphemeral": 1})
    desk.quiet()
    assert roots_posted(desk) == []

    assert sweep(desk) == 1
    [posted] = roots_posted(desk)
    [proposal] = desk.open_proposals("police-liability")
    assert proposal.message_ts == posted
    root = desk_root(desk, posted)
    desk.run(lambda: desk.reply(root, "approve", ED2), {"chat.postMessage": 1})
    assert desk.reviews(root) == [(ED2, Verdict.APPROVE, "")]
    desk.quiet()


def test_a_redelivered_reply_is_claimed_once(desk: Desk) -> None:
    root = desk.propose()
    desk.run(lambda: desk.reply(root, "approve", ED2, event_id="EvTWICE"), {"chat.postMessage": 1})
    assert desk.reply(root, "approve", ED2, event_id="EvTWICE", retry_num=1).status_code == 200
    desk.quiet()
    with desk.bot.db.reading() as uow:
        assert uow.session.query(ProcessedEvent).count() == 1
    assert len(desk.thread_posts(root)) == 1
