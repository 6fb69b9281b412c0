"""Link previews over signed HTTP: `link_shared` → `chat.unfurl` with the live card in brief,
matched however the link is written; unknown pages get nothing and nobody is told."""

from __future__ import annotations

from typing import Any

import pytest

from promisebot.domain import Rating
from promisebot.slack.blocks.common import Act
from tests.blocks import assert_valid_blocks
from tests.slack.bot import EDITORS, REPORTER, Bot

PAGE = "https://www.politifact.com/truth-o-meter/promises/trump-o-meter-second-term/promise/"
POLICE = PAGE + "police-liability/"
WALL = PAGE + "border-wall/"


def share(bot: Bot, *urls: str, **options: Any) -> dict[str, Any]:
    """Post a message with the links as a reporter, send Slack's link_shared for it and
    return the stored message."""
    message = bot.fake.post_user_message("C_NEWSROOM", REPORTER, "look: " + " and ".join(urls))
    event = bot.driver.link_shared_event(list(urls), message_ts=message["ts"], **options)
    assert bot.driver.event(event).status_code == 200
    return message


def test_a_promise_page_is_unfurled_with_the_live_card(bot: Bot) -> None:
    message = share(bot, POLICE)

    [call] = bot.fake.wait_for("chat.unfurl")
    assert call.args["unfurl_id"].startswith(f"C_NEWSROOM.{message['ts']}.")
    assert call.args["source"] == "conversations_history"
    [(url, unfurl)] = call.args["unfurls"].items()
    assert url == POLICE
    assert_valid_blocks(unfurl["blocks"])
    text = repr(unfurl["blocks"])
    assert "Increase liability protections for police" in text
    assert "trump-2025/police-liability" in text
    assert f"{Rating.STALLED.emoji} *Stalled* since " in text
    assert "days)" in text
    [look_up] = [
        element
        for block in unfurl["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert look_up["action_id"] == Act.LOOK_UP
    assert look_up["value"] == str(bot.promise_id("police-liability"))


@pytest.mark.parametrize(
    "written",
    [
        "http://politifact.com/truth-o-meter/promises/trump-o-meter-second-term/promise/"
        "police-liability",
        POLICE + "?utm_source=slack&utm_medium=share",
        POLICE + "#evidence",
        "https://WWW.PolitiFact.com/truth-o-meter/promises/trump-o-meter-second-term/promise/"
        "police-liability/",
    ],
)
def test_matching_ignores_scheme_www_slash_query_and_fragment(bot: Bot, written: str) -> None:
    share(bot, written)

    [call] = bot.fake.wait_for("chat.unfurl")
    assert list(call.args["unfurls"]) == [written]
    assert "police-liability" in repr(call.args["unfurls"][written])


def test_several_links_in_one_message_unfurl_together_and_unknown_ones_are_skipped(
    bot: Bot,
) -> None:
    unknown = PAGE + "no-such-promise/"
    share(bot, POLICE, unknown, WALL)

    [call] = bot.fake.wait_for("chat.unfurl")
    assert list(call.args["unfurls"]) == [POLICE, WALL]
    assert "Finish the wall" in repr(call.args["unfurls"][WALL])


def test_unknown_pages_get_no_unfurl_and_no_message(bot: Bot) -> None:
    share(bot, PAGE + "no-such-promise/", "https://www.politifact.com/")
    # A second, known link afterwards proves the first event has been handled.
    share(bot, WALL)

    [call] = bot.fake.wait_for("chat.unfurl")
    assert list(call.args["unfurls"]) == [WALL]
    assert bot.fake.calls("chat.postMessage") == []
    assert bot.fake.calls("chat.postEphemeral") == []


def test_links_in_the_composer_unfurl_by_unfurl_id(bot: Bot) -> None:
    # Slack's composer preview: no posted message yet, so only unfurl_id + source work.
    event = bot.driver.link_shared_event(
        [POLICE], message_ts="U_REPORTER-4b1d-composer", unfurl_id="Uabc-1234", source="composer"
    )
    assert bot.driver.event(event).status_code == 200

    [call] = bot.fake.wait_for("chat.unfurl")
    assert call.args["unfurl_id"] == "Uabc-1234"
    assert call.args["source"] == "composer"
    assert "channel" not in call.args and "ts" not in call.args


def test_older_events_without_unfurl_id_unfurl_by_channel_and_ts(bot: Bot) -> None:
    message = bot.fake.post_user_message("C_NEWSROOM", REPORTER, f"see {POLICE}")
    event = bot.driver.link_shared_event([POLICE], message_ts=message["ts"])
    del event["unfurl_id"], event["source"]
    assert bot.driver.event(event).status_code == 200

    [call] = bot.fake.wait_for("chat.unfurl")
    assert (call.args["channel"], call.args["ts"]) == ("C_NEWSROOM", message["ts"])


def test_a_refused_unfurl_says_nothing_in_the_channel(bot: Bot) -> None:
    bot.fake.fail_next("chat.unfurl", error="cannot_unfurl_url")
    share(bot, POLICE)
    share(bot, WALL)

    bot.fake.wait_for("chat.unfurl")  # the second one
    assert [call.response["error"] for call in bot.fake.failed_calls] == ["cannot_unfurl_url"]
    assert bot.fake.calls("chat.postMessage") == []
    assert bot.fake.calls("chat.postEphemeral") == []


def test_the_preview_shows_the_latest_evidence(bot: Bot) -> None:
    bot.runtime.services.evidence.add(
        promise_id=bot.promise_id("police-liability"),
        url="https://news.example.com/bill-filed",
        title="Bill filed in the House",
        publisher="The Example Times",
        actor=EDITORS[0],
    )
    share(bot, POLICE)

    [call] = bot.fake.wait_for("chat.unfurl")
    text = repr(call.args["unfurls"][POLICE]["blocks"])
    assert "Latest evidence" in text
    assert (
        "<https://news.example.com/bill-filed|Bill filed in the House> — The Example Times" in text
    )


def test_look_up_on_the_preview_shows_the_card_to_the_presser(bot: Bot) -> None:
    share(bot, POLICE)
    [call] = bot.fake.wait_for("chat.unfurl")
    blocks = call.args["unfurls"][POLICE]["blocks"]
    message = {"type": "message", "ts": "1700000000.000100", "text": "", "attachments": []}

    bot.driver.block_action(
        Act.LOOK_UP,
        str(bot.promise_id("police-liability")),
        user=EDITORS[0],
        message=message,
        container={
            "type": "message_attachment",
            "message_ts": "1700000000.000100",
            "attachment_id": 1,
            "channel_id": "C_NEWSROOM",
            "is_ephemeral": False,
            "is_app_unfurl": True,
        },
        block_id=blocks[-1]["block_id"],
    )

    [answer] = bot.fake.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert answer.args["replace_original"] is False
    assert "Increase liability protections" in repr(answer.args["blocks"])
    assert "Propose change" in repr(answer.args["blocks"])  # an editor's card
