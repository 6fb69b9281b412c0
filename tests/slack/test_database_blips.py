"""The running bot through database blips, over real signed HTTP requests.

PostgreSQL: while every connection of the bot's is terminated again and again for about a
second at a time (pg_terminate_backend from an admin connection), reviewers approve by thread
reply and by button, an editor submits a proposal and a digest is claimed: every action is
stored exactly once and acknowledged, no request gets a 5xx, nobody is told to try again, and
every posted root is recorded. SQLite: another writer holding the write lock for 8 seconds
makes the same actions wait, and loses none of them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from promisebot.bootstrap import build_runtime
from promisebot.db.models import DigestRun, Proposal
from promisebot.db.uow import Database
from promisebot.domain import Rating, Verdict
from promisebot.sandbox import FakeSlack, SlackDriver
from promisebot.scheduler import DigestRunner
from promisebot.services.trackers import load_demo
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Act
from promisebot.slack.server import HttpServer, WsgiApp
from tests.clock import FakeClock
from tests.databases import POSTGRES_URL, empty_all_tables
from tests.db.blips import terminate_backends
from tests.factories import add_schedule
from tests.slack.bot import SIGNING_SECRET, Bot
from tests.slack.proposal_helpers import REVIEW, Desk, Root

BOT_APP = "promisebot-blip-test"
PROPOSER = "U_PROPOSER"
REVIEWERS = tuple(f"U_REV{n:02d}" for n in range(12))
DIGESTS = "C_DIGEST"


@pytest.fixture
def blip_desk(database_url: str, fake_slack: FakeSlack) -> Iterator[Desk]:
    """A bot whose database connections carry an application name of their own, so that
    exactly those can be cut; 12 approvals apply a proposal, so the last reviewer applies."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"application_name": BOT_APP})
    db = Database(url.render_as_string(hide_password=False))
    settings = load_settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        database_url=db.url,
        editors=",".join((PROPOSER, *REVIEWERS)),
        approvals_required=len(REVIEWERS),
        review_channel=REVIEW,
        fetch_link_titles=False,
        digest_post_all_clear=True,
        # A listener thread for every action here (26) to wait on the database at once: a
        # button whose listener cannot start is not acknowledged within Slack's 3 seconds.
        http_threads=32,
    )
    clock = FakeClock()
    runtime = build_runtime(settings, clock=clock, db=db)
    load_demo(db)
    server = HttpServer(WsgiApp(runtime.slack_app(), db.ping), host="127.0.0.1", port=0)
    server.start()
    driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, fake_slack)
    try:
        yield Desk(Bot(fake_slack, driver, runtime, server, clock))
    finally:
        driver.close()
        server.stop()
        empty_all_tables(db)
        db.dispose()


def act_during(blip: Callable[[threading.Event], int], desk: Desk) -> tuple[list[int], int, int]:
    """Proposals A and B open; then, while `blip` runs, every reviewer approves A by thread
    reply (a quarter of them delivered twice, as Slack retries do) and B by button, PROPOSER
    submits proposal C and a digest is claimed. Returns the actions' HTTP statuses, the
    submission's, and what `blip` returned."""
    a = desk.propose("police-liability", user=PROPOSER)
    b = desk.propose("border-wall", user=PROPOSER, rating=Rating.STALLED)
    modal = desk.open_modal_by_command("china-tariffs", user=PROPOSER)
    schedule = add_schedule(desk.bot.db, channel=DIGESTS, days="mon,tue,wed,thu,fri,sat,sun")
    runner = DigestRunner(desk.bot.runtime.services, desk.bot.runtime.messenger, "blip")

    def reply(n: int, reviewer: str) -> int:
        event_id = f"Ev{uuid.uuid4().hex[:12].upper()}"
        first = desk.reply(a, "approve", reviewer, event_id=event_id).status_code
        if n % 4:
            return first
        return max(
            first, desk.reply(a, "lgtm", reviewer, event_id=event_id, retry_num=1).status_code
        )

    def press(reviewer: str) -> int:
        return desk.press(b, Act.APPROVE, reviewer).status_code

    def digest() -> int:
        runner.run_schedule(schedule, desk.bot.clock())
        return 200

    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=8) as pool:
        blips = pool.submit(blip, stop)
        work = [pool.submit(reply, n, r) for n, r in enumerate(REVIEWERS)]
        work += [pool.submit(press, r) for r in REVIEWERS]
        work.append(pool.submit(digest))
        submitted = pool.submit(lambda: desk.submit_proposal(modal, user=PROPOSER).status_code)
        statuses = [future.result() for future in work]
        submission = submitted.result()
        stop.set()
        cut = blips.result()
    # Replies are handled after their ack: wait for the work, not for a time.
    wait_until(lambda: acknowledged(desk, a) and acknowledged(desk, b) and len(roots(desk)) == 3)
    desk.quiet()
    return statuses, submission, cut


def told_approved(desk: Desk, root: Root) -> list[str]:
    """Whom the thread told "approved". A redelivery whose own COMMIT failed while the first
    delivery's landed cannot tell the two apart and acknowledges again: at least once."""
    return sorted(
        {
            reviewer
            for post in desk.thread_posts(root)
            for reviewer in REVIEWERS
            if f"<@{reviewer}> approved (" in str(post["text"])
        }
    )


def acknowledged(desk: Desk, root: Root) -> bool:
    return told_approved(desk, root) == sorted(REVIEWERS)


def wait_until(done: Callable[[], object], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not done() and time.monotonic() < deadline:
        time.sleep(0.1)


def check_everything_stored_once_and_acknowledged(desk: Desk, statuses: list[int]) -> None:
    assert statuses == [200] * len(statuses)  # no 5xx, nothing unanswered
    posted = roots(desk)
    assert len(posted) == 3  # A, B and C, each posted once...
    with desk.bot.db.reading() as uow:
        recorded = {
            (proposal_id, channel, ts)
            for proposal_id, channel, ts in uow.session.execute(
                select(Proposal.id, Proposal.channel_id, Proposal.message_ts)
            )
        }
        runs = [(run.message_ts, run.posted_at) for run in uow.session.scalars(select(DigestRun))]
    # ...and each recorded: the proposals in the database are exactly the posted roots.
    assert recorded == {(root.proposal_id, root.channel, root.ts) for root in posted}
    a, b, _c = posted
    for root in (a, b):
        reviews = desk.reviews(root)
        assert sorted(reviewer for reviewer, _, _ in reviews) == sorted(REVIEWERS)  # once each
        assert {verdict for _, verdict, _ in reviews} == {Verdict.APPROVE}
        assert told_approved(desk, root) == sorted(REVIEWERS)  # each told
    # The twelfth approval of each applied its change, once.
    assert len(desk.changes("police-liability")) == 1
    assert len(desk.changes("border-wall")) == 1
    # The digest: claimed once, posted once, its ts recorded.
    [(run_ts, posted_at)] = runs
    digests = [c for c in desk.fake.calls("chat.postMessage") if c.args["channel"] == DIGESTS]
    assert [c.response["ts"] for c in digests] == [run_ts] and posted_at is not None
    # Nobody was told to try again, nor that something went wrong.
    told = " ".join(str(c.args.get("text", "")) for c in desk.fake.calls("chat.postEphemeral"))
    assert "not saved" not in told and "went wrong" not in told


def roots(desk: Desk) -> list[Root]:
    """The proposal roots posted to the review channel, in order, found by their metadata."""
    return [
        Root(
            int(call.args["metadata"]["event_payload"]["proposal_id"]),
            str(call.response["channel"]),
            str(call.response["ts"]),
        )
        for call in desk.fake.calls("chat.postMessage")
        if call.args["channel"] == REVIEW and not call.args.get("thread_ts")
    ]


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL")
def test_terminated_connections_lose_nothing(blip_desk: Desk) -> None:
    url = blip_desk.bot.db.url

    def blip(stop: threading.Event) -> int:
        """Cut every bot connection every 0.1 s for a second, then let it breathe 0.5 s;
        until the actions are done (and at least three times)."""
        cut, rounds = 0, 0
        while not stop.is_set() or rounds < 3:
            for _ in range(10):
                cut += terminate_backends(url, application=BOT_APP)
                stop.wait(0.1)
            rounds += 1
            stop.wait(0.5)
        return cut

    statuses, submission, cut = act_during(blip, blip_desk)
    assert cut > 0  # the blips did hit the bot's connections
    check_everything_stored_once_and_acknowledged(blip_desk, [*statuses, submission])


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's database lock")
def test_a_writer_holding_the_sqlite_lock_for_8_seconds_loses_nothing(blip_desk: Desk) -> None:
    path = Path(str(make_url(blip_desk.bot.db.url).database))

    def hold_the_lock(stop: threading.Event) -> int:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            stop.wait(8)  # held while the actions queue behind it
            other.execute("ROLLBACK")
        finally:
            other.close()
        return 1

    statuses, _submission, _ = act_during(hold_the_lock, blip_desk)
    # The proposal is stored and posted (checked below), but a submission waiting 8 s on
    # the lock answers after Slack's 3 seconds, so its HTTP status is not checked here.
    check_everything_stored_once_and_acknowledged(blip_desk, statuses)
