"""The message shortcuts over signed HTTP with Slack's real `message_action` payloads:
*Add as evidence* and *Propose rating change* — the modal opened at once, the permalink
filled in after, the typeahead picker, the submission, and every kind of bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from promisebot.db.models import Evidence, Proposal
from promisebot.domain import Rating
from promisebot.sandbox import selected, state_values
from promisebot.slack.blocks.capture import NO_LINK, UNREADABLE
from promisebot.slack.blocks.common import Act, Shortcuts, Views
from tests.blocks import assert_valid_view
from tests.slack.bot import EDITORS, REPORTER, Bot

EDITOR = EDITORS[0]
CHANNEL = "C_NEWSROOM"
STORY = "https://news.example.com/2026/01/bill-filed"
OTHER = "https://www.example.org/records/42?page=2"


def use_shortcut(
    bot: Bot, callback_id: str, message: dict[str, Any], user: str = EDITOR
) -> dict[str, Any]:
    response = bot.driver.message_shortcut(callback_id, message, user=user, channel=CHANNEL)
    assert response.status_code == 200
    return response.json() if response.content else {}


def opened_form(bot: Bot) -> dict[str, Any]:
    """The modal as it stands once the permalink has been filled in."""
    [opened] = bot.fake.wait_for("views.open")
    [updated] = bot.fake.wait_for("views.update")
    view_id = opened.response["view"]["id"]
    assert updated.args["view_id"] == view_id
    assert updated.args["hash"] == opened.response["view"]["hash"]
    view = bot.fake.view(view_id)
    assert view is not None
    assert_valid_view(view)
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [found] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return found


def chosen(bot: Bot, action_id: str, text: str) -> dict[str, Any]:
    """The first typeahead option for `text`, as the picker's state after choosing it."""
    answer = bot.driver.block_suggestion(action_id, text, user=EDITOR).json()
    return {"type": "external_select", "selected_option": answer["options"][0]}


def evidence_rows(bot: Bot) -> list[tuple[int, str, str]]:
    """Evidence added in the test (the demo tracker brings its own)."""
    statement = select(Evidence.promise_id, Evidence.url, Evidence.note).where(
        Evidence.added_by.in_(EDITORS)
    )
    with bot.db.reading() as uow:
        rows = uow.session.execute(statement.order_by(Evidence.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def permalink(message: dict[str, Any]) -> str:
    return f"https://example.slack.com/archives/{CHANNEL}/p{message['ts'].replace('.', '')}"


# -- Add as evidence -------------------------------------------------------------------------


def test_add_as_evidence_from_a_message_with_two_links(bot: Bot) -> None:
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", f"Filed: {STORY} (see {OTHER})")

    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)

    view = opened_form(bot)
    assert view["callback_id"] == Views.CAPTURE_EVIDENCE
    picker = block(view, "promise")["element"]
    assert (picker["type"], picker["action_id"]) == ("external_select", Act.PICK_FOR_EVIDENCE)
    link = block(view, "url")["element"]
    assert [option["text"]["text"] for option in link["options"]] == [STORY, OTHER]
    assert link["initial_option"]["value"] == "0"
    note = block(view, "note")["element"]
    assert note["initial_value"] == f"From {permalink(message)}"
    assert {"title", "publisher", "published_on"} <= {b.get("block_id") for b in view["blocks"]}

    values = state_values(
        {
            ("promise", Act.PICK_FOR_EVIDENCE): chosen(bot, Act.PICK_FOR_EVIDENCE, "police liab"),
            ("url", "evidence.url"): selected("1"),
            ("publisher", "evidence.publisher"): "Example Records",
            ("note", "evidence.note"): note["initial_value"],
        }
    )
    response = bot.driver.view_submission(
        Views.CAPTURE_EVIDENCE,
        values,
        user=EDITOR,
        private_metadata=view["private_metadata"],
        view_id=view["id"],
    )

    assert response.status_code == 200 and not response.content
    police = bot.promise_id("police-liability")
    assert evidence_rows(bot) == [(police, OTHER, f"From {permalink(message)}")]
    [reply] = bot.fake.wait_for("chat.postMessage")
    assert reply.args["channel"] == CHANNEL
    assert reply.args["thread_ts"] == message["ts"]
    assert (
        reply.args["text"]
        == "Added as evidence to Increase liability protections for police officers"
    )


def test_a_reply_in_a_thread_is_answered_in_that_thread(bot: Bot) -> None:
    root = bot.fake.post_user_message(CHANNEL, "U_WRITER", "news thread")
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", STORY, thread_ts=root["ts"])
    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)
    view = opened_form(bot)

    values = state_values(
        {
            ("promise", Act.PICK_FOR_EVIDENCE): chosen(bot, Act.PICK_FOR_EVIDENCE, "border-wall"),
            # Slack's state carries the preselected option as if chosen.
            ("url", "evidence.url"): selected("0"),
        }
    )
    bot.driver.view_submission(
        Views.CAPTURE_EVIDENCE, values, user=EDITOR, private_metadata=view["private_metadata"]
    )

    [reply] = bot.fake.wait_for("chat.postMessage")
    assert reply.args["thread_ts"] == root["ts"]
    assert evidence_rows(bot)[0][1] == STORY


def test_labelled_links_in_slack_text_are_found(bot: Bot) -> None:
    message = {
        "type": "message",
        "user": "U_WRITER",
        "ts": "1700000000.000500",
        "text": f"<{STORY}|the bill story> &amp; <mailto:desk@example.com|desk>",
        "team": "T0001",
    }
    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)

    [opened] = bot.fake.wait_for("views.open")
    view = opened.response["view"]
    assert [o["text"]["text"] for o in block(view, "url")["element"]["options"]] == [STORY]
    assert "mailto:desk@example.com" in repr(view["blocks"])  # refused, with the reason
    assert "not a web link" in repr(view["blocks"])


def test_a_message_without_links_says_so_in_the_modal(bot: Bot) -> None:
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", "the governor said nothing new")

    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)

    view = opened_form(bot)
    assert NO_LINK in repr(view["blocks"])
    assert block(view, "url")["element"]["type"] == "plain_text_input"
    assert bot.fake.calls("chat.postMessage") == []
    assert bot.fake.calls("chat.postEphemeral") == []


def test_non_web_and_private_links_are_refused_with_the_reason(
    make_bot: Callable[..., Bot],
) -> None:
    bot = make_bot(fetch_link_titles=False, allow_private_fetch=False)
    typed = "see ftp://files.example.com/report.pdf and http://10.0.0.7/admin and http://127.0.0.1/"
    message = {**bot.fake.post_user_message(CHANNEL, "U_WRITER", "x"), "text": typed}

    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)

    view = opened_form(bot)
    shown = repr(view["blocks"])
    assert "not a web link" in shown
    assert "10.0.0.7 is a private or loopback address" in shown
    assert "127.0.0.1 is a private or loopback address" in shown
    assert NO_LINK in shown  # nothing usable is offered

    values = state_values(
        {
            ("promise", Act.PICK_FOR_EVIDENCE): chosen(bot, Act.PICK_FOR_EVIDENCE, "border-wall"),
            ("url", "evidence.url"): "http://192.168.1.20/leak",
        }
    )
    response = bot.driver.view_submission(
        Views.CAPTURE_EVIDENCE, values, user=EDITOR, private_metadata=view["private_metadata"]
    )
    assert response.json()["response_action"] == "errors"
    assert "private or loopback" in response.json()["errors"]["url"]
    assert evidence_rows(bot) == []


def test_reporters_get_an_ephemeral_refusal_and_no_modal(bot: Bot) -> None:
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", STORY)

    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message, user=REPORTER)
    use_shortcut(bot, Shortcuts.PROPOSE, message, user=REPORTER)

    refusals = bot.fake.wait_for("response_url", 2)
    assert all(call.args["response_type"] == "ephemeral" for call in refusals)
    assert "editor" in refusals[0].args["text"].lower()
    assert bot.fake.calls("views.open") == []


def test_an_unreadable_message_is_explained(bot: Bot) -> None:
    # In a channel the bot is not in, Slack sends the message without its content.
    message = {"type": "message", "user": "U_WRITER", "ts": "1700000000.000700"}

    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)

    [opened] = bot.fake.wait_for("views.open")
    view = opened.args["view"]
    assert "submit" not in view
    assert UNREADABLE.split(",")[0] in repr(view["blocks"])


def test_the_same_link_twice_is_already_on_the_card(bot: Bot) -> None:
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", STORY)
    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)
    view = opened_form(bot)
    values = state_values(
        {
            ("promise", Act.PICK_FOR_EVIDENCE): chosen(bot, Act.PICK_FOR_EVIDENCE, "border-wall"),
            ("url", "evidence.url"): selected("0"),
        }
    )

    def submit() -> dict[str, Any]:
        response = bot.driver.view_submission(
            Views.CAPTURE_EVIDENCE, values, user=EDITOR, private_metadata=view["private_metadata"]
        )
        return response.json() if response.content else {}

    assert submit() == {}
    second = submit()

    assert second["response_action"] == "errors"
    assert "already on the card" in second["errors"]["url"]
    assert len(evidence_rows(bot)) == 1


def test_submitting_without_a_promise_asks_for_one(bot: Bot) -> None:
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", STORY)
    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)
    view = opened_form(bot)

    response = bot.driver.view_submission(
        Views.CAPTURE_EVIDENCE, {}, user=EDITOR, private_metadata=view["private_metadata"]
    )

    assert "Pick the promise" in response.json()["errors"]["promise"]
    assert evidence_rows(bot) == []


def test_the_modal_opens_even_when_the_permalink_is_slow_to_come(bot: Bot) -> None:
    bot.fake.fail_next("chat.getPermalink", error="internal_error")
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", STORY)

    use_shortcut(bot, Shortcuts.ADD_EVIDENCE, message)

    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["trigger_id"]
    assert "initial_value" not in block(opened.response["view"], "note")["element"]


# -- Propose rating change ---------------------------------------------------------------


def test_propose_from_a_message(bot: Bot) -> None:
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", f"Signed today: {STORY}")

    use_shortcut(bot, Shortcuts.PROPOSE, message)

    view = opened_form(bot)
    assert view["callback_id"] == Views.CAPTURE_PROPOSAL
    picker = block(view, "promise")
    assert picker["dispatch_action"] is True
    assert picker["element"]["action_id"] == Act.PICK_FOR_PROPOSAL
    assert block(view, "links")["element"]["initial_value"] == STORY
    assert permalink(message) in block(view, "rationale")["element"]["placeholder"]["text"]

    choice = chosen(bot, Act.PICK_FOR_PROPOSAL, "police-liability")
    bot.driver.block_action(
        Act.PICK_FOR_PROPOSAL,
        choice["selected_option"]["value"],
        user=EDITOR,
        view=view,
        action_type="external_select",
        channel=None,
    )
    updated = bot.fake.wait_for("views.update", 2)[-1].response["view"]
    ratings = [o["value"] for o in block(updated, "rating")["element"]["options"]]
    assert Rating.STALLED.value not in ratings  # police-liability is Stalled now
    assert "Stalled" in repr(updated["blocks"])
    assert block(updated, "links")["element"]["initial_value"] == STORY

    values = state_values(
        {
            ("promise", Act.PICK_FOR_PROPOSAL): choice,
            ("rating", "proposal_form.rating"): selected(Rating.IN_THE_WORKS.value),
            ("rationale", "proposal_form.rationale"): "The bill was filed, see the story.",
            ("links", "proposal_form.links"): STORY,
        }
    )
    response = bot.driver.view_submission(
        Views.CAPTURE_PROPOSAL, values, user=EDITOR, private_metadata=updated["private_metadata"]
    )

    assert response.status_code == 200 and not response.content
    [root] = bot.fake.wait_for("chat.postMessage")
    assert STORY in repr(root.args["blocks"])
    with bot.db.reading() as uow:
        [proposal] = uow.session.scalars(select(Proposal)).all()
        assert proposal.promise_id == bot.promise_id("police-liability")
        assert proposal.to_rating is Rating.IN_THE_WORKS
        assert proposal.evidence_links == [STORY]


def test_propose_form_errors_come_back_in_the_modal(bot: Bot) -> None:
    message = bot.fake.post_user_message(CHANNEL, "U_WRITER", STORY)
    use_shortcut(bot, Shortcuts.PROPOSE, message)
    view = opened_form(bot)
    values = state_values(
        {
            ("promise", Act.PICK_FOR_PROPOSAL): chosen(
                bot, Act.PICK_FOR_PROPOSAL, "police-liability"
            ),
            ("rating", "proposal_form.rating"): selected(Rating.STALLED.value),  # the current one
            ("rationale", "proposal_form.rationale"): "",
        }
    )

    response = bot.driver.view_submission(
        Views.CAPTURE_PROPOSAL, values, user=EDITOR, private_metadata=view["private_metadata"]
    )

    errors = response.json()["errors"]
    assert {"rating", "rationale"} <= set(errors)
    assert bot.fake.calls("chat.postMessage") == []
