"""Lookups through the real HTTP endpoint with signature checks on."""

from __future__ import annotations

import time

import pytest

from promisebot.slack.blocks.common import Act
from tests.blocks import assert_valid_blocks
from tests.slack.bot import EDITORS, REPORTER, Bot


def _texts(blocks: list[dict[str, object]]) -> str:
    return repr(blocks)


def test_lookup_by_words_answers_with_an_ephemeral_card(bot: Bot) -> None:
    response = bot.driver.command("police liability")

    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert_valid_blocks(body["blocks"])
    text = _texts(body["blocks"])
    assert "Increase liability protections for police officers" in text
    assert "Stalled" in text
    assert "since Oct 24, 2025" in text
    assert "Evidence" in text and "Rating history" in text
    action_ids = {
        element["action_id"]
        for block in body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }
    assert Act.SHARE in action_ids
    assert Act.PROPOSE not in action_ids  # reporters cannot propose


def test_editors_see_propose_and_evidence_buttons(bot: Bot) -> None:
    body = bot.driver.command("police-liability", user=EDITORS[0]).json()
    action_ids = {
        element["action_id"]
        for block in body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }
    assert {Act.SHARE, Act.PROPOSE, Act.ADD_EVIDENCE} <= action_ids


def test_lookup_by_id_and_by_typo(bot: Bot) -> None:
    for query in ("police-liability", "trump-2025/police-liability", "polise liabilty"):
        body = bot.driver.command(query).json()
        assert "Increase liability protections" in _texts(body["blocks"]), query


def test_ambiguous_query_gives_a_pick_list_and_the_button_shows_the_card(bot: Bot) -> None:
    body = bot.driver.command("tariffs").json()
    assert_valid_blocks(body["blocks"])
    picks = [
        block["accessory"]
        for block in body["blocks"]
        if block.get("accessory", {}).get("action_id") == Act.PICK
    ]
    assert len(picks) >= 2

    response = bot.driver.block_action(
        Act.PICK, picks[0]["value"], container={"type": "message", "is_ephemeral": True}
    )
    assert response.status_code == 200
    [reply] = bot.fake.wait_for("response_url")
    assert reply.args["replace_original"] is True
    assert_valid_blocks(reply.args["blocks"])
    assert "tariff" in _texts(reply.args["blocks"]).lower()


def test_no_match_says_so_with_suggestions(bot: Bot) -> None:
    body = bot.driver.command("zebra migration quantum").json()
    assert "No promise matches" in body["text"]
    assert_valid_blocks(body["blocks"])


def test_empty_text_and_help_show_usage(bot: Bot) -> None:
    for text in ("", "help"):
        body = bot.driver.command(text).json()
        assert "/promise list" in _texts(body["blocks"])


def test_list_by_rating_and_tracker(bot: Bot) -> None:
    body = bot.driver.command("list stalled trump-2025").json()
    assert_valid_blocks(body["blocks"])
    text = _texts(body["blocks"])
    assert "Increase liability protections" in text
    assert "Create a civilian police oversight board" not in text  # other tracker

    body = bot.driver.command("list promise kept").json()
    assert "Make the 2017 tax cuts permanent" in _texts(body["blocks"])


def test_list_with_bad_rating_names_the_valid_ones(bot: Bot) -> None:
    body = bot.driver.command("list kinda-kept").json()
    assert "is not one of" in body["text"]
    assert "Promise Kept" in body["text"]


def test_unknown_tracker_is_a_friendly_error(bot: Bot) -> None:
    body = bot.driver.command("stats nobody-2030").json()
    assert "There is no tracker" in body["text"]


def test_stats_shows_a_scorecard_per_tracker(bot: Bot) -> None:
    body = bot.driver.command("stats").json()
    assert_valid_blocks(body["blocks"])
    text = _texts(body["blocks"])
    assert "trump-2025" in text and "rivera-mayor" in text


def test_share_posts_the_card_visibly_in_the_channel(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    bot.driver.block_action(
        Act.SHARE,
        str(promise_id),
        user=REPORTER,
        channel="C_DESK",
        container={"type": "message", "is_ephemeral": True, "channel_id": "C_DESK"},
    )
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "C_DESK"
    assert_valid_blocks(post.args["blocks"])
    assert "Shared by <@U_REPORTER>" in _texts(post.args["blocks"])
    assert "link_names" not in post.args and "parse" not in post.args


def test_share_retries_after_a_rate_limit_and_posts_once(bot: Bot) -> None:
    bot.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    bot.driver.block_action(Act.SHARE, str(bot.promise_id("border-wall")), channel="C_DESK")
    bot.fake.wait_for("chat.postMessage")
    time.sleep(0.3)
    assert len(bot.fake.calls("chat.postMessage")) == 1
    assert len(bot.fake.failed_calls) == 1


def test_hostile_text_is_escaped(bot: Bot) -> None:
    body = bot.driver.command("<!channel> <http://evil.example|click> & more").json()
    text = _texts(body["blocks"])
    assert "<!channel>" not in text
    assert "@channel" in text  # Slack's markup read as what was typed, then escaped
    assert "<http://evil.example|click>" not in text


def test_requests_with_bad_signatures_are_refused(bot: Bot) -> None:
    assert bot.driver.signed(signature="v0=bad").command("police").status_code == 401
    assert bot.driver.signed(unsigned=True).command("police").status_code == 401
    old = int(time.time()) - 6 * 60
    assert bot.driver.signed(timestamp=old).command("police").status_code == 401
    assert bot.fake.calls("response_url") == []


def test_healthz(bot: Bot) -> None:
    import httpx

    response = httpx.get(f"{bot.server.url}/healthz")
    assert response.status_code == 200


FRIENDLY = ("No promise matches", "Several promises match", "That is too long")


@pytest.mark.parametrize(
    "query",
    [
        " ".join(["police"] * 10_000),
        ("police liability tariffs border " * 80)[:2000],
        "!?.,;:-_()[]{}*#@" * 100,
        "\U0001f693\U0001f6a8 \U0001f46e\u200d\u2640\ufe0f",
        "\u05d4\u05d1\u05d8\u05d7\u05d4 \u05de\u05e9\u05d8\u05e8\u05d4 \u0648\u0639\u062f",
    ],
    ids=["10000-words", "2000-chars", "punctuation", "emoji", "rtl"],
)
def test_overlong_and_hostile_queries_answer_in_the_ack_with_a_friendly_message(
    bot: Bot, query: str
) -> None:
    response = bot.driver.command(query)

    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert_valid_blocks(body["blocks"])
    card = any(str(b.get("block_id", "")).startswith("card:") for b in body["blocks"])
    assert card or body["text"].startswith(FRIENDLY), body["text"][:80]
    assert bot.fake.calls("response_url") == []  # answered in the ack, nothing afterwards
