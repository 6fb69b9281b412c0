"""Evidence through the real HTTP endpoint: `/promise evidence`, the *Add evidence* modal, and
the page-title fetch after the ack against a local web server."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Row, func, select

from promisebot import bootstrap
from promisebot.db.models import AuditEvent, Evidence, Promise
from promisebot.sandbox import state_values
from promisebot.services.evidence import LinkTitleFetcher
from promisebot.slack.blocks.common import Act, Views
from promisebot.slack.listeners.evidence import parse_evidence_args
from promisebot.slack.requests import CommandRequest
from tests.blocks import assert_valid_blocks, assert_valid_view
from tests.http_server import Site, serve_site
from tests.slack.bot import EDITORS, REPORTER, Bot

EDITOR = EDITORS[0]
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # FakeClock's start
PUBLIC_IP = "93.184.215.14"


# -- helpers -------------------------------------------------------------------------------


def evidence_rows(bot: Bot, promise_id: int) -> list[Row[Any]]:
    """Plain rows (no ORM objects, which expire when the read ends), oldest first."""
    table = Evidence.__table__
    with bot.db.reading() as uow:
        statement = select(table).where(table.c.promise_id == promise_id).order_by(table.c.id)
        return list(uow.session.execute(statement).all())


def snapshot(bot: Bot, promise_id: int) -> tuple[int, int, datetime]:
    """(evidence rows, audit events, last_reviewed_at) of one promise, to prove nothing moved."""
    with bot.db.reading() as uow:
        evidence = uow.session.scalar(select(func.count()).select_from(Evidence)) or 0
        audits = uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        reviewed = uow.session.scalar(
            select(Promise.last_reviewed_at).where(Promise.id == promise_id)
        )
        assert reviewed is not None
        return evidence, audits, reviewed


def card_blocks(bot: Bot, user: str = EDITOR) -> list[dict[str, Any]]:
    body = bot.driver.command("police-liability", user=user).json()
    blocks: list[dict[str, Any]] = body["blocks"]
    return blocks


def evidence_section(blocks: list[dict[str, Any]]) -> str:
    [text] = [
        block["text"]["text"]
        for block in blocks
        if block["type"] == "section" and block["text"]["text"].startswith("*Evidence*")
    ]
    return str(text)


def modal_values(**fields: str | date | None) -> dict[str, dict[str, dict[str, Any]]]:
    return state_values({(name, f"evidence.{name}"): value for name, value in fields.items()})


def metadata(promise_id: int, channel: str | None = "C_DESK") -> str:
    return json.dumps({"id": promise_id, "channel": channel})


def wait_for_log(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in record.getMessage() for record in caplog.records):
            return
        time.sleep(0.02)
    raise AssertionError(f"no log line containing {text!r}")


# -- the command ---------------------------------------------------------------------------


def typed(text: str) -> str:
    return CommandRequest.from_body({"text": text}).text


def test_parse_unwraps_slack_links_and_unescapes() -> None:
    assert parse_evidence_args(
        typed("police-liability <https://a.example/x?a=1&amp;b=2> Bill &amp; vote")
    ) == (
        "police-liability",
        "https://a.example/x?a=1&b=2",
        "Bill & vote",
    )
    assert parse_evidence_args(typed("p1 <https://a.example/x|the story here> note")) == (
        "p1",
        "https://a.example/x",
        "note",
    )
    assert parse_evidence_args("p1 https://a.example/x") == ("p1", "https://a.example/x", "")
    assert parse_evidence_args("p1\nhttps://a.example/x\nline one\nline two") == (
        "p1",
        "https://a.example/x",
        "line one\nline two",
    )


def test_editor_adds_evidence_by_command(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    before = len(evidence_rows(bot, promise_id))

    response = bot.driver.command(
        "evidence police-liability <https://news.example.com/story?id=7&amp;p=2> "
        "Vote delayed &lt;again&gt; &amp; <!channel>",
        user=EDITOR,
    )

    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert_valid_blocks(body["blocks"])
    text = repr(body["blocks"])
    assert "Added evidence" in text and "police-liability" in text
    rows = evidence_rows(bot, promise_id)
    assert len(rows) == before + 1
    added = rows[-1]
    assert added.url == "https://news.example.com/story?id=7&p=2"
    # Slack's `<!channel>` markup is read as what was typed, never kept as live markup.
    assert added.note == "Vote delayed <again> & @channel"
    assert added.added_by == EDITOR and added.title == ""
    _, _, reviewed = snapshot(bot, promise_id)
    assert reviewed == NOW
    with bot.db.reading() as uow:
        actor, subject = uow.session.execute(
            select(AuditEvent.actor, AuditEvent.subject_id).where(
                AuditEvent.action == "evidence.add"
            )
        ).one()
    assert (actor, subject) == (EDITOR, str(promise_id))

    # The card lists it, the note escaped; no title, so the link shows the URL.
    section = evidence_section(card_blocks(bot))
    assert "news.example.com/story" in section
    assert "&lt;again&gt; &amp; @channel" in section and "<!channel>" not in section


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("police-liability", "Usage: `/promise evidence"),
        ("police-liability javascript:alert(1)", "not a web link"),
        ("police-liability <javascript:alert(1)>", "not a web link"),
        ("police-liability ftp://files.example.com/report.pdf", "not a web link"),
        ("police-liability <https://news.example.com/a b|a b>", "not a web link"),
        ("police-liability https://news", "not a web link"),
        ("police-liability https://news.example.com/" + "a" * 3000, "too long"),
        ("no-such-promise-anywhere https://news.example.com/x", "No promise matches"),
    ],
)
def test_bad_command_input_is_explained_and_changes_nothing(
    bot: Bot, args: str, expected: str
) -> None:
    promise_id = bot.promise_id("police-liability")
    before = snapshot(bot, promise_id)

    body = bot.driver.command(f"evidence {args}", user=EDITOR).json()

    assert body["response_type"] == "ephemeral"
    assert expected in body["text"], body["text"]
    assert snapshot(bot, promise_id) == before


def test_bad_link_in_the_command_comes_with_an_example(bot: Bot) -> None:
    body = bot.driver.command("evidence police-liability ftp://x.example.com/a", user=EDITOR).json()
    assert "e.g. `/promise evidence police-liability https://" in body["text"]


def test_reporters_cannot_add_evidence_by_command(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    before = snapshot(bot, promise_id)

    body = bot.driver.command(
        "evidence police-liability https://news.example.com/x", user=REPORTER
    ).json()

    assert "Only editors can add evidence" in body["text"]
    assert snapshot(bot, promise_id) == before


def test_the_same_link_twice_is_refused(bot: Bot) -> None:
    command = "evidence police-liability https://news.example.com/once"
    bot.driver.command(command, user=EDITOR)
    promise_id = bot.promise_id("police-liability")
    before = snapshot(bot, promise_id)

    body = bot.driver.command(command, user=EDITORS[1]).json()

    assert "already listed" in body["text"]
    assert "Usage" not in body["text"]
    assert snapshot(bot, promise_id) == before


# -- the button and the modal --------------------------------------------------------------


def press_add_evidence(bot: Bot, user: str = EDITOR, trigger_id: str | None = None) -> None:
    blocks = card_blocks(bot, user=EDITOR)
    promise_id = bot.promise_id("police-liability")
    response = bot.driver.block_action(
        Act.ADD_EVIDENCE,
        str(promise_id),
        user=user,
        channel="C_DESK",
        message={"type": "message", "ts": "1700000000.000100", "text": "", "blocks": blocks},
        container={
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "C_DESK",
            "is_ephemeral": True,
        },
        trigger_id=trigger_id,
    )
    assert response.status_code == 200


def test_add_evidence_button_opens_the_modal_with_the_trigger(bot: Bot) -> None:
    trigger_id = bot.fake.issue_trigger_id()
    press_add_evidence(bot, trigger_id=trigger_id)

    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["trigger_id"] == trigger_id
    view = opened.args["view"]
    assert view["callback_id"] == Views.EVIDENCE
    assert json.loads(view["private_metadata"]) == {
        "id": bot.promise_id("police-liability"),
        "channel": "C_DESK",
    }
    assert_valid_view(view)
    inputs = {
        block["block_id"]: block["element"]["type"]
        for block in view["blocks"]
        if block["type"] == "input"
    }
    assert inputs["url"] == "plain_text_input"
    assert inputs["published_on"] == "datepicker"
    assert {"title", "publisher", "note"} <= inputs.keys()
    assert "Increase liability protections" in repr(view["blocks"])


def test_reporters_pressing_add_evidence_get_no_modal(bot: Bot) -> None:
    press_add_evidence(bot, user=REPORTER)

    [reply] = bot.fake.wait_for("response_url")
    assert "Only editors can add evidence" in reply.args["text"]
    assert bot.fake.calls("views.open") == []


def test_modal_submission_adds_evidence_and_confirms(bot: Bot) -> None:
    press_add_evidence(bot)
    [opened] = bot.fake.wait_for("views.open")
    view_id = opened.response["view"]["id"]
    promise_id = bot.promise_id("police-liability")

    response = bot.driver.view_submission(
        Views.EVIDENCE,
        modal_values(
            url="  https://news.example.com/budget  ",
            title="Budget <b>&</b> bills",
            publisher="The Ledger",
            published_on=date(2026, 11, 24),
            note="Committee vote",
        ),
        user=EDITOR,
        private_metadata=opened.args["view"]["private_metadata"],
        view_id=view_id,
    )

    assert response.status_code == 200
    assert response.content == b""  # a plain ack closes the modal
    [confirmation] = bot.fake.wait_for("chat.postEphemeral")
    assert confirmation.args["channel"] == "C_DESK" and confirmation.args["user"] == EDITOR
    assert_valid_blocks(confirmation.args["blocks"])
    assert "Budget &lt;b&gt;&amp;&lt;/b&gt; bills" in repr(confirmation.args["blocks"])
    added = evidence_rows(bot, promise_id)[-1]
    assert (added.url, added.title, added.publisher, added.note) == (
        "https://news.example.com/budget",
        "Budget <b>&</b> bills",
        "The Ledger",
        "Committee vote",
    )
    assert added.published_on == date(2026, 11, 24)
    # Newest first on the card, title escaped inside the link.
    section = evidence_section(card_blocks(bot))
    first = section.splitlines()[1]
    assert "<https://news.example.com/budget|Budget &lt;b&gt;&amp;&lt;/b&gt; bills>" in first
    assert "The Ledger" in first


def test_modal_field_errors_come_back_inside_the_modal(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    before = snapshot(bot, promise_id)

    response = bot.driver.view_submission(
        Views.EVIDENCE,
        modal_values(
            url="javascript:alert(1)",
            publisher="p" * 300,
            published_on=date(2027, 6, 1),
            note="n" * 1001,
        ),
        user=EDITOR,
        private_metadata=metadata(promise_id),
    )

    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"url", "publisher", "published_on", "note"}
    assert "not a web link" in body["errors"]["url"]
    assert snapshot(bot, promise_id) == before
    assert bot.fake.calls("chat.postEphemeral") == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "Paste the link"),
        ("ftp://files.example.com/a", "not a web link"),
        ("https://news.example.com/a b", "contains spaces"),
        ("https://news.example.com/" + "a" * 3000, "too long"),
    ],
)
def test_modal_refuses_bad_links(bot: Bot, url: str, expected: str) -> None:
    promise_id = bot.promise_id("police-liability")
    before = snapshot(bot, promise_id)

    body = bot.driver.view_submission(
        Views.EVIDENCE, modal_values(url=url), user=EDITOR, private_metadata=metadata(promise_id)
    ).json()

    assert expected in body["errors"]["url"]
    assert snapshot(bot, promise_id) == before


def test_modal_duplicate_link_and_non_editor_are_refused(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    existing = evidence_rows(bot, promise_id)[0].url
    before = snapshot(bot, promise_id)

    duplicate = bot.driver.view_submission(
        Views.EVIDENCE,
        modal_values(url=existing),
        user=EDITOR,
        private_metadata=metadata(promise_id),
    ).json()
    reporter = bot.driver.view_submission(
        Views.EVIDENCE,
        modal_values(url="https://news.example.com/new"),
        user=REPORTER,
        private_metadata=metadata(promise_id),
    ).json()

    assert "already listed" in duplicate["errors"]["url"]
    assert "Only editors" in reporter["errors"]["url"]
    assert snapshot(bot, promise_id) == before


def test_modal_with_unreadable_metadata_changes_nothing(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    before = snapshot(bot, promise_id)

    body = bot.driver.view_submission(
        Views.EVIDENCE,
        modal_values(url="https://news.example.com/x"),
        user=EDITOR,
        private_metadata="not json",
    ).json()

    assert "expired" in body["errors"]["url"]
    assert snapshot(bot, promise_id) == before


# -- page titles, fetched after the ack ----------------------------------------------------


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as site:
        yield site


@pytest.fixture
def titles_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="promisebot")
    return caplog


def add_by_command(bot: Bot, url: str) -> Row[Any]:
    promise_id = bot.promise_id("police-liability")
    body = bot.driver.command(f"evidence police-liability <{url}>", user=EDITOR).json()
    assert "Added evidence" in body["text"], body["text"]
    return evidence_rows(bot, promise_id)[-1]


def title_of(bot: Bot, evidence_id: int) -> str:
    with bot.db.reading() as uow:
        return str(uow.session.scalar(select(Evidence.title).where(Evidence.id == evidence_id)))


def test_title_is_fetched_after_the_ack(
    make_bot: Callable[..., Bot], site: Site, titles_logged: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()  # fetching on, loopback allowed (test settings)
    site.page("/story", b"<html><head><title>Budget &amp; Bills\n passed</title></head></html>")

    added = add_by_command(bot, site.url("/story"))

    wait_for_log(titles_logged, f"evidence {added.id}: page title saved")
    assert title_of(bot, added.id) == "Budget & Bills passed"
    assert site.paths == ["/story"]
    assert "Budget &amp; Bills passed" in evidence_section(card_blocks(bot))


def test_modal_submission_fetches_the_title_too(
    make_bot: Callable[..., Bot], site: Site, titles_logged: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()
    site.page("/og", b'<html><head><meta property="og:title" content="The Story"></head></html>')
    promise_id = bot.promise_id("police-liability")

    bot.driver.view_submission(
        Views.EVIDENCE,
        modal_values(url=site.url("/og")),
        user=EDITOR,
        private_metadata=metadata(promise_id),
    )

    bot.fake.wait_for("chat.postEphemeral")
    added = evidence_rows(bot, promise_id)[-1]
    wait_for_log(titles_logged, f"evidence {added.id}: page title saved")
    assert title_of(bot, added.id) == "The Story"


def test_a_given_title_is_never_fetched_over(
    make_bot: Callable[..., Bot], site: Site, titles_logged: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()
    site.page("/story", b"<title>Theirs</title>")
    promise_id = bot.promise_id("police-liability")

    bot.driver.view_submission(
        Views.EVIDENCE,
        modal_values(url=site.url("/story"), title="Ours"),
        user=EDITOR,
        private_metadata=metadata(promise_id),
    )

    bot.fake.wait_for("chat.postEphemeral")
    assert evidence_rows(bot, promise_id)[-1].title == "Ours"
    assert site.paths == []


def assert_no_title_and_no_error(bot: Bot, evidence_id: int) -> None:
    assert title_of(bot, evidence_id) == ""
    # The user was told once (in the ack) and hears nothing about the failed fetch.
    assert bot.fake.calls("response_url") == []
    assert bot.fake.calls("chat.postEphemeral") == []
    assert bot.fake.calls("chat.postMessage") == []


def test_page_without_a_title_leaves_it_empty(
    make_bot: Callable[..., Bot], site: Site, titles_logged: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()
    site.page("/bare", b"<html><body><svg><title>icon</title></svg>Hello</body></html>")

    added = add_by_command(bot, site.url("/bare"))

    wait_for_log(titles_logged, f"evidence {added.id}: page title not found")
    assert site.paths == ["/bare"]
    assert_no_title_and_no_error(bot, added.id)


def test_oversize_page_is_cut_off_before_its_title(
    make_bot: Callable[..., Bot], site: Site, titles_logged: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()
    filler = b"<p>" + b"x" * 1_000_000 + b"</p>"  # the fetcher reads 512 kB at most
    site.page("/huge", b"<html><body>" + filler + b"<title>Too far down</title></body></html>")

    added = add_by_command(bot, site.url("/huge"))

    wait_for_log(titles_logged, f"evidence {added.id}: page title not found")
    assert_no_title_and_no_error(bot, added.id)


class Reroute(httpx.BaseTransport):
    """Plays the internet: connections to the public test address reach the local site.
    Records every address the fetcher connected to."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.hosts: list[str] = []
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        if request.url.host == PUBLIC_IP:
            request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def public_dns(host: str, port: int) -> list[str]:
    """`news.example.com` is public; IP literals resolve to themselves."""
    if host == "news.example.com":
        return [PUBLIC_IP]
    if host[:1].isdigit():
        return [host]
    raise OSError(f"unknown host {host}")


@pytest.fixture
def internet(site: Site, monkeypatch: pytest.MonkeyPatch) -> Iterator[Reroute]:
    """The bot's fetcher as configured by bootstrap (private addresses as per settings), with
    DNS and the network replaced by `public_dns` and `Reroute`, and a short timeout."""
    transport = Reroute(site.port)
    with httpx.Client(transport=transport, trust_env=False) as client:
        monkeypatch.setattr(
            bootstrap,
            "LinkTitleFetcher",
            functools.partial(LinkTitleFetcher, client, resolver=public_dns, timeout=0.3),
        )
        yield transport


def test_redirect_to_a_private_address_is_refused(
    make_bot: Callable[..., Bot],
    site: Site,
    internet: Reroute,
    titles_logged: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot(allow_private_fetch=False)
    site.page("/story", b"<title>Public story</title>")
    site.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    site.redirect("/to-intranet", "http://10.0.0.1/admin")

    # The public page works through the same fetcher, so the refusals below are real.
    good = add_by_command(bot, "http://news.example.com/story")
    wait_for_log(titles_logged, f"evidence {good.id}: page title saved")
    assert title_of(bot, good.id) == "Public story"

    for path in ("/to-metadata", "/to-intranet"):
        added = add_by_command(bot, f"http://news.example.com{path}")
        wait_for_log(titles_logged, f"evidence {added.id}: page title not found")
        assert title_of(bot, added.id) == ""
    assert internet.hosts == [PUBLIC_IP] * 3  # never a connection to the private addresses
    assert site.paths == ["/story", "/to-metadata", "/to-intranet"]
    assert any("refused non-public address" in r.getMessage() for r in titles_logged.records)


def test_slow_page_times_out_quietly(
    make_bot: Callable[..., Bot],
    site: Site,
    internet: Reroute,
    titles_logged: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot(allow_private_fetch=False)
    site.slow("/slow")

    added = add_by_command(bot, "http://news.example.com/slow")

    wait_for_log(titles_logged, f"evidence {added.id}: page title not found", timeout=3)
    assert site.paths == ["/slow"]
    assert any("Timeout" in r.getMessage() for r in titles_logged.records)
    assert_no_title_and_no_error(bot, added.id)


# -- the card's other editor controls: the digest's Reviewed and Snooze --------------------


def card_controls(bot: Bot, query: str, user: str = EDITOR) -> dict[str, dict[str, Any]]:
    blocks = bot.driver.command(query, user=user).json()["blocks"]
    assert_valid_blocks(blocks)
    return {
        element["action_id"]: element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def test_editor_cards_carry_reviewed_for_stalled_and_snooze(bot: Bot) -> None:
    stalled = card_controls(bot, "police-liability")
    assert stalled[Act.REVIEWED]["value"] == str(bot.promise_id("police-liability"))
    assert stalled[Act.SNOOZE]["type"] == "static_select"

    kept = card_controls(bot, "extend-tax-cuts")  # Promise Kept: nothing to review as stalled
    assert Act.REVIEWED not in kept and Act.SNOOZE in kept

    reader = card_controls(bot, "police-liability", user=REPORTER)
    assert Act.REVIEWED not in reader and Act.SNOOZE not in reader


def press_on_card(bot: Bot, element: dict[str, Any], value: str, action_type: str) -> None:
    ts = "1700000000.000100"
    response = bot.driver.block_action(
        element["action_id"],
        value,
        user=EDITOR,
        channel="C_DESK",
        message={"type": "message", "ts": ts, "text": "", "blocks": []},
        container={
            "type": "message",
            "message_ts": ts,
            "channel_id": "C_DESK",
            "is_ephemeral": True,
        },
        action_type=action_type,
    )
    assert response.status_code == 200


def test_reviewed_and_snooze_on_the_card_reach_the_digest_handlers(bot: Bot) -> None:
    promise_id = bot.promise_id("police-liability")
    bot.clock.advance(days=1)
    controls = card_controls(bot, "police-liability")

    press_on_card(bot, controls[Act.REVIEWED], controls[Act.REVIEWED]["value"], "button")
    [reviewed] = bot.fake.wait_for("response_url")
    assert "as reviewed — still stalled" in reviewed.args["text"]

    [thirty] = [o["value"] for o in controls[Act.SNOOZE]["options"] if o["value"].endswith(":30")]
    press_on_card(bot, controls[Act.SNOOZE], thirty, "static_select")
    bot.fake.wait_for("response_url", count=2)

    with bot.db.reading() as uow:
        reviewed_at, snoozed_until = uow.session.execute(
            select(Promise.last_reviewed_at, Promise.snoozed_until).where(Promise.id == promise_id)
        ).one()
    later = bot.clock()
    assert reviewed_at == later
    assert snoozed_until is not None and (snoozed_until - later).days == 30
