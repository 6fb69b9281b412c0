"""The typeahead promise picker over signed HTTP (`block_suggestion` → options, ranked as
`/promise` ranks) and the *Look up a promise* global shortcut: pick, card, share."""

from __future__ import annotations

from typing import Any

import pytest

from promisebot.sandbox import state_values
from promisebot.services.lookup import PromiseChoice
from promisebot.slack.blocks.common import Act, Shortcuts, Views
from promisebot.slack.blocks.picker import MAX_OPTION_TEXT, option_label
from tests.blocks import assert_valid_view
from tests.slack.bot import EDITORS, REPORTER, Bot


def options(bot: Bot, text: str, action_id: str = Act.PICK_FOR_EVIDENCE) -> list[dict[str, Any]]:
    response = bot.driver.block_suggestion(action_id, text, user=REPORTER)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["options"]
    return found


def test_options_come_ranked_like_the_slash_command(bot: Bot) -> None:
    found = options(bot, "police")

    assert 2 <= len(found) <= 100
    labels = [option["text"]["text"] for option in found]
    assert any("(trump-2025/police-liability)" in label for label in labels)
    assert all(len(label) <= MAX_OPTION_TEXT for label in labels)
    assert all(option["text"]["type"] == "plain_text" for option in found)
    ids = {str(bot.promise_id("police-liability")), str(bot.promise_id("police-consent-decrees"))}
    assert ids <= {option["value"] for option in found}


def test_an_exact_id_comes_first(bot: Bot) -> None:
    [first, *_] = options(bot, "border-wall", Act.PICK_FOR_PROPOSAL)

    assert first["value"] == str(bot.promise_id("border-wall"))
    assert first["text"]["text"].endswith("(trump-2025/border-wall)")


def test_typos_still_find_the_promise(bot: Bot) -> None:
    found = options(bot, "birthrite citizenshp", Act.PICK_TO_LOOK_UP)

    assert found[0]["value"] == str(bot.promise_id("birthright-citizenship"))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "<!channel> *x* ' OR 1=1; --", "&lt;script&gt;", "police " * 300, "x" * 2000],
)
def test_empty_hostile_or_huge_text_gets_a_short_list_or_none(bot: Bot, text: str) -> None:
    found = options(bot, text)

    assert len(found) <= 100
    for option in found:
        assert len(option["text"]["text"]) <= MAX_OPTION_TEXT
        assert option["value"].isdigit()


def test_equal_titles_are_told_apart_by_tracker_and_id() -> None:
    title = "Cut taxes on overtime pay for every worker in every state of the union, at once"
    first = option_label(PromiseChoice(1, "trump-2025", "overtime", title))
    second = option_label(PromiseChoice(2, "governor-2026", "overtime", title))

    assert first != second
    assert first.endswith("(trump-2025/overtime)") and second.endswith("(governor-2026/overtime)")
    assert len(first) <= MAX_OPTION_TEXT and len(second) <= MAX_OPTION_TEXT


def test_look_up_shortcut_picks_shows_the_card_and_shares_it(bot: Bot) -> None:
    assert bot.driver.global_shortcut(Shortcuts.LOOK_UP, user=REPORTER).status_code == 200
    [opened] = bot.fake.wait_for("views.open")
    view = opened.response["view"]
    assert_valid_view(view)
    [picker] = [block for block in view["blocks"] if block.get("block_id") == "promise"]
    assert picker["elements"][0]["type"] == "external_select"
    assert picker["elements"][0]["action_id"] == Act.PICK_TO_LOOK_UP

    [choice, *_] = options(bot, "border wall", Act.PICK_TO_LOOK_UP)
    bot.driver.block_action(
        Act.PICK_TO_LOOK_UP,
        choice["value"],
        user=REPORTER,
        view=bot.fake.view(view["id"]),
        action_type="external_select",
        channel=None,
    )

    [updated] = bot.fake.wait_for("views.update")
    assert updated.args["view_id"] == view["id"]
    card_view = updated.response["view"]
    assert_valid_view(card_view)
    assert "Finish the wall" in repr(card_view["blocks"])
    [share] = [block for block in card_view["blocks"] if block.get("block_id") == "channel"]
    assert share["element"]["type"] == "conversations_select"

    values = state_values(
        channel={"type": "conversations_select", "selected_conversation": "C_DESK"}
    )
    response = bot.driver.view_submission(
        Views.LOOK_UP,
        values,
        user=REPORTER,
        private_metadata=card_view["private_metadata"],
        view_id=view["id"],
    )
    assert response.status_code == 200
    assert not response.content or "errors" not in response.json()

    [posted] = bot.fake.wait_for("chat.postMessage")
    assert posted.args["channel"] == "C_DESK"
    assert "Finish the wall" in repr(posted.args["blocks"])
    assert f"Shared by <@{REPORTER}>" in repr(posted.args["blocks"])


def test_sharing_without_a_channel_is_asked_for_in_the_modal(bot: Bot) -> None:
    response = bot.driver.view_submission(
        Views.LOOK_UP,
        {},
        user=EDITORS[0],
        private_metadata=str(bot.promise_id("border-wall")),
    )

    assert response.json() == {
        "response_action": "errors",
        "errors": {"channel": "Pick a channel."},
    }
    assert bot.fake.calls("chat.postMessage") == []
