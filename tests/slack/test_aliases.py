"""Aliases over signed HTTP: `/promise alias|unalias`, the card's aliases, and pick-lists
that teach search once two people picked the same promise."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from promisebot.db.models import PromiseAlias, SearchPick
from promisebot.slack.blocks.common import MAX_BUTTON_VALUE, Act
from tests.blocks import assert_valid_blocks
from tests.slack.bot import EDITORS, REPORTER, Bot

EDITOR = EDITORS[0]


def _text(body: dict[str, Any]) -> str:
    return repr(body["blocks"])


def _stored(bot: Bot) -> list[tuple[str, bool]]:
    with bot.db.reading() as uow:
        rows = uow.session.scalars(select(PromiseAlias).order_by(PromiseAlias.id)).all()
        return [(row.alias, row.learned) for row in rows]


def _card_id(body: dict[str, Any]) -> str | None:
    """The external id of the card in a reply, or None when it is not a card."""
    for block in body["blocks"]:
        if str(block.get("block_id", "")).startswith("card:"):
            context = body["blocks"][1]["elements"][0]["text"]
            return str(context.split("/", 1)[1].split("`", 1)[0])
    return None


def _pick_buttons(body: dict[str, Any]) -> dict[str, str]:
    """external id → the value of its *Show* button on a pick-list."""
    found = {}
    for block in body["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == Act.PICK:
            external_id = block["text"]["text"].rsplit("`", 2)[1]
            found[external_id] = accessory["value"]
    return found


def _pick(bot: Bot, query: str, external_id: str, user: str, presses: int = 1) -> None:
    """`user` looks `query` up, gets a pick-list and presses `external_id` on it."""
    body = bot.driver.command(query, user=user).json()
    value = _pick_buttons(body)[external_id]
    assert len(value) <= MAX_BUTTON_VALUE
    for _ in range(presses):
        shown = len(bot.fake.calls("response_url"))
        response = bot.driver.block_action(
            Act.PICK,
            value,
            user=user,
            container={
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": "C_NEWSROOM",
                "is_ephemeral": True,
            },
        )
        assert response.status_code == 200
        [*_, reply] = bot.fake.wait_for("response_url", count=shown + 1)
        assert external_id in repr(reply.args["blocks"])


def test_editors_add_list_and_remove_aliases_and_the_card_shows_them(bot: Bot) -> None:
    assert bot.driver.command("big beautiful wall").json()["text"].startswith("No promise")

    added = bot.driver.command("alias border-wall Big Beautiful Wall", user=EDITOR).json()
    bot.driver.command("alias border-wall southern barrier", user=EDITOR)

    assert "Added the alias *Big Beautiful Wall* to `border-wall`" in _text(added)
    card = bot.driver.command("big beautiful wall").json()
    assert_valid_blocks(card["blocks"])
    assert _card_id(card) == "border-wall"
    assert "also: Big Beautiful Wall, southern barrier" in _text(card)
    listed = bot.driver.command("alias border-wall").json()
    assert "• Big Beautiful Wall\\n• southern barrier" in _text(listed)

    removed = bot.driver.command("unalias border-wall big beautiful wall", user=EDITOR).json()

    assert "Removed the alias *Big Beautiful Wall* from `border-wall`" in _text(removed)
    assert _stored(bot) == [("southern barrier", False)]
    assert bot.driver.command("big beautiful wall").json()["text"].startswith("No promise")


def test_reporters_may_list_but_not_change_aliases(bot: Bot) -> None:
    bot.driver.command("alias border-wall the wall", user=EDITOR)

    for command in ("alias border-wall barrier", "unalias border-wall the wall"):
        body = bot.driver.command(command, user=REPORTER).json()
        assert "Only editors can add or remove aliases" in body["text"]
    assert "• the wall" in _text(bot.driver.command("alias border-wall", user=REPORTER).json())
    assert _stored(bot) == [("the wall", False)]


def test_bad_aliases_get_a_friendly_refusal_naming_the_clash(bot: Bot) -> None:
    bot.driver.command("alias universal-tariff import tax", user=EDITOR)

    replies = [
        bot.driver.command(f"alias border-wall {words}", user=EDITOR).json()["text"]
        for words in ("x" * 61, "!!! ???", "Import-Tax")
    ]
    usage = bot.driver.command("unalias border-wall", user=EDITOR).json()["text"]

    assert "at most 60 characters; that one has 61" in replies[0]
    assert "no word search could use" in replies[1]
    assert "'import tax' is already an alias of `universal-tariff`" in replies[2]
    assert "Usage: `/promise alias &lt;id&gt; &lt;words&gt;`" in usage
    assert _stored(bot) == [("import tax", False)]


def test_hostile_alias_text_stays_escaped_on_the_card(bot: Bot) -> None:
    # Slack sends `&`, `<` and `>` typed in a command escaped.
    bot.driver.command(
        "alias border-wall &lt;!channel&gt; &amp; &lt;http://evil.example|wall&gt;", user=EDITOR
    )
    assert _stored(bot) == [("<!channel> & <http://evil.example|wall>", False)]

    card = bot.driver.command("border-wall").json()

    text = _text(card)
    assert "<!channel>" not in text and "<http://evil.example|wall>" not in text
    assert "also: &lt;!channel&gt; &amp; &lt;http://evil.example|wall&gt;" in text


def test_a_pick_teaches_the_query_once_two_people_made_it(bot: Bot) -> None:
    assert set(_pick_buttons(bot.driver.command("tariffs").json())) == {
        "china-tariffs",
        "universal-tariff",
    }

    _pick(bot, "tariffs", "universal-tariff", "U_READER1")
    assert _card_id(bot.driver.command("tariffs").json()) is None  # one person: still a list
    _pick(bot, "Tariffs?", "universal-tariff", "U_READER2")

    assert _card_id(bot.driver.command("tariffs").json()) == "universal-tariff"
    listed = _text(bot.driver.command("alias universal-tariff").json())
    assert "• tariffs _(learned)_" in listed
    assert _stored(bot) == [("tariffs", True)]


def test_one_persons_picks_do_not_change_the_ranking(bot: Bot) -> None:
    before = bot.driver.command("tariffs").json()

    _pick(bot, "tariffs", "china-tariffs", REPORTER, presses=3)
    _pick(bot, "tariffs", "china-tariffs", REPORTER)

    assert bot.driver.command("tariffs").json() == before
    with bot.db.reading() as uow:
        assert len(uow.session.scalars(select(SearchPick)).all()) == 1
    assert _stored(bot) == []


def test_an_editor_removes_a_learned_alias(bot: Bot) -> None:
    _pick(bot, "tariffs", "universal-tariff", "U_READER1")
    _pick(bot, "tariffs", "universal-tariff", "U_READER2")
    assert _card_id(bot.driver.command("tariffs").json()) == "universal-tariff"

    removed = bot.driver.command("unalias universal-tariff tariffs", user=EDITOR).json()

    assert "Removed the learned alias *tariffs* from `universal-tariff`" in _text(removed)
    assert _stored(bot) == []
    assert set(_pick_buttons(bot.driver.command("tariffs").json())) == {
        "china-tariffs",
        "universal-tariff",
    }
