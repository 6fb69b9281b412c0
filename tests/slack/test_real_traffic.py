"""Hardening from real Slack traffic, over signed HTTP with Slack's own payload shapes:
entities decoded once (item 1), requests from other workspaces refused (item 2), thread
replies with files counted (item 5)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from sqlalchemy import func, select

from promisebot.db.models import AuditEvent, Review
from promisebot.domain import ProposalStatus, Verdict
from promisebot.slack.blocks.common import Act, Views
from promisebot.slack.workspace import OTHER_WORKSPACE
from tests.blocks import assert_valid_blocks
from tests.slack.bot import Bot
from tests.slack.proposal_helpers import ED1, ED2, ED3, Desk, Root

OTHER_TEAM = "T0OTHER1"
OTHER_ORG = "E0OTHER1"


def post_form(desk: Desk, payload: dict[str, Any]) -> httpx.Response:
    return desk.driver.post(urlencode(payload), "application/x-www-form-urlencoded")


def post_interaction(desk: Desk, payload: dict[str, Any]) -> httpx.Response:
    body = f"payload={quote(json.dumps(payload))}"
    return desk.driver.post(body, "application/x-www-form-urlencoded")


def post_event(desk: Desk, envelope: dict[str, Any]) -> httpx.Response:
    return desk.driver.post(json.dumps(envelope), "application/json")


def audit_count(bot: Bot) -> int:
    with bot.db.reading() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def reviews(bot: Bot, root: Root) -> list[tuple[str, Verdict, str]]:
    with bot.db.reading() as uow:
        rows = uow.session.execute(
            select(Review.reviewer, Review.verdict, Review.comment)
            .where(Review.proposal_id == root.proposal_id)
            .order_by(Review.id)
        )
        return [(r, v, c) for r, v, c in rows]


# -- 1. Slack's entities, decoded once at the edge -------------------------------------------


def test_command_text_is_decoded_once_and_escaped_once(desk: Desk) -> None:
    # Slack sends `tips & overtime` and `<script>` typed in /promise as entities.
    reply = desk.driver.command("tips &amp; overtime &lt;script&gt;").json()

    assert_valid_blocks(reply["blocks"])
    shown = repr(reply["blocks"])
    assert "tips &amp; overtime &lt;script&gt;" in shown  # escaped once for mrkdwn
    assert "&amp;amp;" not in shown and "&amp;lt;" not in shown
    assert "<script>" not in shown


def test_a_thread_rejection_keeps_the_reason_as_typed(desk: Desk) -> None:
    root = desk.propose()
    # The text as Slack sends a reply with `<`, `&`, a mention and a labelled link.
    text = (
        "<@UBOTUSER> reject needs &lt;2&gt; sources &amp; see "
        "<https://news.example/a?b=1&amp;c=2|the story>, ask <@U_ED1|ed1>"
    )
    desk.run(lambda: desk.reply(root, text, ED2), {"chat.postMessage": 1, "chat.update": 1})

    [(reviewer, verdict, reason)] = reviews(desk.bot, root)
    assert (reviewer, verdict) == (ED2, Verdict.REJECT)
    assert reason == (
        "needs <2> sources & see the story (https://news.example/a?b=1&c=2), ask @ed1"
    )
    root_blocks = repr(desk.root_message(root)["blocks"])
    assert "needs &lt;2&gt; sources &amp; see the story" in root_blocks
    assert "&amp;lt;" not in root_blocks and "&amp;amp;" not in root_blocks


# -- 2. requests from a workspace the bot is not installed in ------------------------------


def other_team_command(desk: Desk, text: str, user: str = ED1) -> dict[str, Any]:
    """A slash command as Slack sends it from an Enterprise Grid workspace of another org."""
    payload: dict[str, Any] = desk.driver.command_payload(text, user=user)
    payload.update(
        team_id=OTHER_TEAM,
        team_domain="elsewhere",
        enterprise_id=OTHER_ORG,
        enterprise_name="Elsewhere Org",
    )
    return payload


def test_a_command_from_another_workspace_shows_and_changes_nothing(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    before = audit_count(desk.bot)
    with caplog.at_level(logging.INFO, logger="promisebot"):
        response = post_form(desk, other_team_command(desk, "propose police-liability"))

    assert response.status_code == 200
    assert response.json() == {"response_type": "ephemeral", "text": OTHER_WORKSPACE}
    desk.quiet(0.2)
    assert desk.fake.calls("views.open") == []
    assert audit_count(desk.bot) == before
    refused = [r for r in caplog.records if "refused a command" in r.getMessage()]
    assert len(refused) == 1 and OTHER_TEAM in refused[0].getMessage()


def test_an_editor_id_from_another_workspace_cannot_approve(desk: Desk) -> None:
    root = desk.propose()
    desk.fake.clear()
    message = desk.fake.message(root.channel, root.ts)
    payload = desk.driver.block_action_payload(
        Act.APPROVE, str(root.proposal_id), user=ED2, channel=root.channel, message=message
    )
    # block_actions from a workspace of another Enterprise Grid org (bolt-python's shape).
    payload["team"] = {
        "id": OTHER_TEAM,
        "domain": "elsewhere",
        "enterprise_id": OTHER_ORG,
        "enterprise_name": "Elsewhere Org",
    }
    payload["enterprise"] = {"id": OTHER_ORG, "name": "Elsewhere Org"}
    payload["user"]["team_id"] = OTHER_TEAM

    response = post_interaction(desk, payload)

    assert response.status_code == 200 and response.text == ""
    desk.quiet(0.2)
    assert desk.fake.calls() == []
    assert reviews(desk.bot, root) == []


def test_an_org_wide_installation_is_refused(desk: Desk) -> None:
    root = desk.propose()
    desk.fake.clear()
    message = desk.fake.message(root.channel, root.ts)
    payload = desk.driver.block_action_payload(
        Act.APPROVE, str(root.proposal_id), user=ED2, channel=root.channel, message=message
    )
    # An org-wide install: no team, the org in `enterprise`, the user's workspace on the user.
    payload["team"] = None
    payload["enterprise"] = {"id": OTHER_ORG, "name": "Elsewhere Org"}
    payload["is_enterprise_install"] = True

    assert post_interaction(desk, payload).status_code == 200
    desk.quiet(0.2)
    assert desk.fake.calls() == [] and reviews(desk.bot, root) == []


def test_a_modal_submitted_from_another_workspace_is_refused(desk: Desk) -> None:
    modal = desk.open_modal_by_command("police-liability")
    before = audit_count(desk.bot)
    payload = desk.driver.view_submission_payload(
        Views.PROPOSE,
        {},
        user=ED1,
        private_metadata=modal.args["view"]["private_metadata"],
        view_id=modal.response["view"]["id"],
    )
    payload["team"] = {"id": OTHER_TEAM, "domain": "elsewhere"}
    payload["view"]["team_id"] = OTHER_TEAM
    payload["view"]["app_installed_team_id"] = OTHER_TEAM

    answer = post_interaction(desk, payload).json()

    assert answer["response_action"] == "update"
    assert OTHER_WORKSPACE in repr(answer["view"])
    assert audit_count(desk.bot) == before


def test_a_thread_reply_from_another_workspace_counts_nothing(desk: Desk) -> None:
    root = desk.propose()
    envelope = desk.driver.event_envelope(
        desk.driver.thread_message_event(
            "approve", user=ED2, channel=root.channel, thread_ts=root.ts
        )
    )
    envelope["team_id"] = OTHER_TEAM
    envelope["authorizations"][0]["team_id"] = OTHER_TEAM

    assert post_event(desk, envelope).status_code == 200
    desk.quiet(0.2)
    assert reviews(desk.bot, root) == []


def test_slack_connect_shared_channels_keep_working(desk: Desk) -> None:
    root = desk.propose()
    # An editor of ours replies in a Slack Connect channel: the envelope is for our
    # installation, the channel is shared with another organisation.
    event = desk.driver.thread_message_event(
        "approve", user=ED2, channel=root.channel, thread_ts=root.ts
    )
    event["user_team"] = desk.driver.team_id
    event["source_team"] = desk.driver.team_id
    envelope = desk.driver.event_envelope(event)
    envelope["is_ext_shared_channel"] = True
    desk.run(lambda: post_event(desk, envelope), {"chat.postMessage": 1, "chat.update": 1})
    assert reviews(desk.bot, root) == [(ED2, Verdict.APPROVE, "")]

    # A user of the other organisation presses Approve there: `team` is ours (the app's
    # installation), `user.team_id` theirs; they are told only editors may.
    outsider = "U0EXTERNAL"
    message = desk.fake.message(root.channel, root.ts)
    payload = desk.driver.block_action_payload(
        Act.APPROVE, str(root.proposal_id), user=outsider, channel=root.channel, message=message
    )
    payload["user"]["team_id"] = OTHER_TEAM
    payload["channel"]["name"] = "shared-with-elsewhere"
    desk.run(lambda: post_interaction(desk, payload), {"chat.postEphemeral": 1})
    assert "editors" in desk.ephemerals(outsider)[-1].lower()
    assert reviews(desk.bot, root) == [(ED2, Verdict.APPROVE, "")]


# -- 5. a thread reply with a file attached --------------------------------------------------


def file_share_reply(desk: Desk, root: Root, text: str, user: str) -> dict[str, Any]:
    """A thread reply with a screenshot, as the Events API delivers it (`subtype: file_share`)."""
    ts = f"{time.time():.6f}"
    return {
        "type": "message",
        "subtype": "file_share",
        "text": text,
        "files": [
            {
                "id": "F0SCREEN1",
                "created": int(time.time()),
                "timestamp": int(time.time()),
                "name": "vote-tally.png",
                "title": "vote-tally.png",
                "mimetype": "image/png",
                "filetype": "png",
                "pretty_type": "PNG",
                "user": user,
                "user_team": desk.driver.team_id,
                "editable": False,
                "size": 48213,
                "mode": "hosted",
                "is_external": False,
                "external_type": "",
                "is_public": True,
                "public_url_shared": False,
                "display_as_bot": False,
                "username": "",
                "url_private": "https://files.slack.com/files-pri/T0001-F0SCREEN1/vote-tally.png",
                "permalink": "https://example.slack.com/files/U_ED2/F0SCREEN1/vote-tally.png",
                "original_w": 1280,
                "original_h": 720,
                "has_rich_preview": False,
            }
        ],
        "upload": False,
        "user": user,
        "display_as_bot": False,
        "blocks": [
            {
                "type": "rich_text",
                "block_id": "Zx9",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ],
        "ts": ts,
        "thread_ts": root.ts,
        "parent_user_id": desk.fake.bot_user_id,
        "channel": root.channel,
        "event_ts": ts,
        "channel_type": "channel",
    }


def test_an_approval_with_a_screenshot_counts(desk: Desk) -> None:
    root = desk.propose()
    event = file_share_reply(desk, root, "approve", ED2)
    desk.run(
        lambda: post_event(desk, desk.driver.event_envelope(event)),
        {"chat.postMessage": 1, "chat.update": 1},
    )
    assert reviews(desk.bot, root) == [(ED2, Verdict.APPROVE, "")]

    # A file with conversation as its text is conversation.
    chat = file_share_reply(desk, root, "here is the tally", ED3)
    assert post_event(desk, desk.driver.event_envelope(chat)).status_code == 200
    desk.quiet(0.2)
    assert reviews(desk.bot, root) == [(ED2, Verdict.APPROVE, "")]


def test_edits_and_deletions_still_count_nothing(desk: Desk) -> None:
    root = desk.propose()
    ts = f"{time.time():.6f}"
    original = {
        "type": "message",
        "user": ED2,
        "text": "maybe",
        "ts": ts,
        "thread_ts": root.ts,
        "parent_user_id": desk.fake.bot_user_id,
    }
    changed = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": {**original, "text": "approve", "edited": {"user": ED2, "ts": ts}},
        "channel": root.channel,
        "previous_message": original,
        "event_ts": f"{time.time():.6f}",
        "ts": f"{time.time():.6f}",
        "channel_type": "channel",
    }
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": ts,
        "channel": root.channel,
        "previous_message": {**original, "text": "approve"},
        "event_ts": f"{time.time():.6f}",
        "ts": f"{time.time():.6f}",
        "channel_type": "channel",
    }
    for event in (changed, deleted):
        assert post_event(desk, desk.driver.event_envelope(event)).status_code == 200
    desk.quiet(0.2)
    assert reviews(desk.bot, root) == []
    assert desk.proposal(root).status is ProposalStatus.OPEN
