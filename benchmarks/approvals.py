"""Approvals over signed HTTP: click-to-thread-reply latency and concurrent-approval races.

Run: .venv/bin/python benchmarks/approvals.py [--clicks 200] [--rounds 10] [--racers 20]
     [--postgres URL|'']

The real app runs behind cheroot on 127.0.0.1 with the fake Slack, on PostgreSQL (its own
database, created and dropped; SQLite with a note when the server cannot be reached).
- Latency: one *Approve* click at a time (proposals need 2 approvals, so every second
  click applies the change); the time from sending the block action until the fake Slack
  records the thread acknowledgement (`chat.postMessage` in the proposal's thread).
- Races: `--racers` editors press *Approve* on one proposal at the same instant, `--rounds`
  times, once with proposals needing all of them (every approval must count, exactly one
  apply) and once needing 2 (exactly one apply; the rest told "already approved").
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from promisebot.bootstrap import Runtime, build_runtime
from promisebot.db import migrate
from promisebot.db.models import Promise, RatingChange, Review
from promisebot.domain import Rating, Verdict
from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.services.proposals import ProposalService, ProposalView
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Act
from promisebot.slack.notify.proposals import ProposalNotifier
from promisebot.slack.server import HttpServer, WsgiApp

sys.path.insert(0, str(Path(__file__).parent))
from dataset import (
    POSTGRES_ADMIN_URL,
    load_rows,
    postgres_database,
    promise_rows,
    sqlite_database,
)

SECRET = "benchmark-secret"
REVIEW = "C_REVIEW"
PROPOSER = "U_PROPOSER"
SORRY = "Sorry, something went wrong"


class ErrorCounter(logging.Handler):
    """Counts ERROR records from the app (failed listeners, failed Slack calls)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self._count_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._count_lock:
            self.count += 1


@dataclass
class Bench:
    runtime: Runtime
    fake: FakeSlack
    driver: SlackDriver
    notifier: ProposalNotifier
    errors: ErrorCounter
    http_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def propose(self, promise_id: int, approvals_required: int) -> ProposalView:
        settings = self.runtime.settings.model_copy(
            update={"approvals_required": approvals_required}
        )
        service = ProposalService(
            self.runtime.db,
            settings,
            self.runtime.services.clock,
            self.runtime.services.permissions,
        )
        current = self.current_rating(promise_id)
        ratings = list(Rating)
        target = ratings[(ratings.index(current) + 1) % len(ratings)]
        proposal = service.propose(
            promise_id=promise_id,
            user=PROPOSER,
            to_rating=target,
            rationale="Benchmark: the record moved.",
            links_text="",
            effective_on=None,
            origin_channel=None,
        )
        posted = self.notifier.post_root(proposal)
        assert posted is not None and posted.message_ts is not None
        return posted

    def current_rating(self, promise_id: int) -> Rating:
        with self.runtime.db.reading() as uow:
            promise = uow.session.get(Promise, promise_id)
            assert promise is not None
            return promise.current_rating

    def click(self, proposal: ProposalView, user: str) -> None:
        assert proposal.channel_id and proposal.message_ts
        message = self.fake.message(proposal.channel_id, proposal.message_ts)
        response = self.driver.block_action(
            Act.APPROVE, str(proposal.id), user=user, channel=proposal.channel_id, message=message
        )
        if response.status_code != 200:
            with self.lock:
                self.http_errors += 1

    def thread_acks(self, proposal: ProposalView) -> int:
        return sum(
            1
            for call in self.fake.calls("chat.postMessage")
            if call.args.get("thread_ts") == proposal.message_ts
        )

    def answers_to(self, users: set[str]) -> tuple[int, int]:
        """(ephemerals that refused or re-counted, "sorry" ephemerals) sent to `users`."""
        refused = sorry = 0
        for call in self.fake.calls("chat.postEphemeral"):
            if call.args.get("user") in users:
                if SORRY in str(call.args.get("text", "")):
                    sorry += 1
                else:
                    refused += 1
        return refused, sorry

    def quiet(self, seconds: float = 0.3, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        seen = len(self.fake.calls())
        while time.monotonic() < deadline:
            time.sleep(seconds)
            now = len(self.fake.calls())
            if now == seen:
                return
            seen = now


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_latency(bench: Bench, promise_ids: list[int], clicks: int) -> list[float]:
    timings: list[float] = []
    reviewers = ["U_ED00", "U_ED01"]
    for promise_id in promise_ids[: (clicks + 1) // 2]:
        proposal = bench.propose(promise_id, approvals_required=2)
        for reviewer in reviewers:
            if len(timings) == clicks:
                break
            posts = len(bench.fake.calls("chat.postMessage"))
            updates = len(bench.fake.calls("chat.update"))
            started = time.perf_counter()
            bench.click(proposal, reviewer)
            acked = bench.fake.wait_for("chat.postMessage", posts + 1, timeout=30)
            timings.append((time.perf_counter() - started) * 1000)
            assert acked[posts].args.get("thread_ts") == proposal.message_ts
            # Let the root update (and, on the applying click, the rest) finish first.
            bench.fake.wait_for("chat.update", updates + 1, timeout=30)
    return timings


@dataclass
class RoundResult:
    applies: int
    counted: int
    expected: int
    acks: int
    refused: int
    unanswered: int
    errors: int
    seconds: float
    outdated_root: bool  # the root still shows review buttons once everything settled

    @property
    def lost(self) -> int:
        # An approval is lost if it should have counted and did not, or if its reviewer was
        # told it counted (a thread acknowledgement) and the database does not have it.
        return max(self.expected - self.counted, 0) + max(self.acks - self.counted, 0)


def race_round(bench: Bench, promise_id: int, racers: list[str], required: int) -> RoundResult:
    proposal = bench.propose(promise_id, approvals_required=required)
    errors_before = bench.errors.count + bench.http_errors
    barrier = threading.Barrier(len(racers))

    def press(user: str) -> None:
        barrier.wait()
        bench.click(proposal, user)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(racers)) as pool:
        list(pool.map(press, racers))
    expected = min(required, len(racers))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        refused, sorry = bench.answers_to(set(racers))
        if bench.thread_acks(proposal) + refused + sorry >= len(racers):
            break
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    bench.quiet()
    refused, sorry = bench.answers_to(set(racers))
    with bench.runtime.db.reading() as uow:
        counted = uow.session.scalar(
            select(func.count())
            .select_from(Review)
            .where(Review.proposal_id == proposal.id, Review.verdict == Verdict.APPROVE)
        )
        applies = uow.session.scalar(
            select(func.count())
            .select_from(RatingChange)
            .where(RatingChange.proposal_id == proposal.id)
        )
    acks = bench.thread_acks(proposal)
    assert proposal.channel_id and proposal.message_ts
    root = bench.fake.message(proposal.channel_id, proposal.message_ts) or {}
    outdated = any(block.get("type") == "actions" for block in root.get("blocks", []))
    bench.fake.clear()  # ephemerals are matched by user: start each round afresh
    return RoundResult(
        applies=applies or 0,
        counted=counted or 0,
        expected=expected,
        acks=acks,
        refused=refused,
        unanswered=max(len(racers) - acks - refused - sorry, 0),
        errors=bench.errors.count + bench.http_errors - errors_before + sorry,
        seconds=seconds,
        outdated_root=outdated,
    )


def run(url: str, label: str, args: argparse.Namespace) -> None:
    migrate.upgrade(url)
    racers = [f"U_RACER{n:02d}" for n in range(args.racers)]
    editors = [PROPOSER, "U_ED00", "U_ED01", *racers]
    with FakeSlack() as fake:
        settings = load_settings(
            database_url=url,
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
            editors=",".join(editors),
            review_channel=REVIEW,
            approvals_required=2,
            fetch_link_titles=False,
        )
        runtime = build_runtime(settings)
        rounds_needed = 2 * args.rounds
        # One promise per latency proposal and per race round, and one to warm up with.
        count = (args.clicks + 1) // 2 + rounds_needed + 1
        load_rows(runtime.db, promise_rows(count, evidence_every=0))
        with runtime.db.reading() as uow:
            promise_ids = list(uow.session.scalars(select(Promise.id).order_by(Promise.id)))
        server = HttpServer(
            WsgiApp(runtime.slack_app(), runtime.db.ping),
            host="127.0.0.1",
            port=0,
            threads=settings.http_threads,
        )
        server.start()
        errors = ErrorCounter()
        app_log = logging.getLogger("promisebot")
        app_log.setLevel(logging.ERROR)
        app_log.addHandler(errors)
        driver = SlackDriver(f"{server.url}/slack/events", SECRET, fake)
        bench = Bench(
            runtime,
            fake,
            driver,
            ProposalNotifier(runtime.services.proposals, settings, runtime.messenger),
            errors,
        )
        try:
            for warm in promise_ids[-1:]:
                bench.click(bench.propose(warm, 2), "U_ED00")  # warm connections and caches
            bench.quiet()
            fake.clear()
            timings = measure_latency(bench, promise_ids, args.clicks)
            print(
                f"{label}: click-to-thread-reply over {len(timings)} clicks: "
                f"p50={statistics.median(timings):.1f} ms p99={percentile(timings, 0.99):.1f} ms "
                f"max={max(timings):.1f} ms"
            )
            bench.quiet()
            fake.clear()
            race_ids = promise_ids[(args.clicks + 1) // 2 : (args.clicks + 1) // 2 + rounds_needed]
            for required in (len(racers), 2):
                results = [
                    race_round(bench, promise_id, racers, required)
                    for promise_id in race_ids[: args.rounds]
                ]
                race_ids = race_ids[args.rounds :]
                answered = [r.seconds * 1000 for r in results]
                print(
                    f"{label}: race, {len(racers)} editors press Approve at once, needs "
                    f"{required}, {len(results)} rounds: "
                    f"applies={sum(r.applies for r in results)} (expected {len(results)}), "
                    f"counted={sum(r.counted for r in results)}/"
                    f"{sum(r.expected for r in results)}, "
                    f"lost approvals={sum(r.lost for r in results)}, "
                    f"told already approved={sum(r.refused for r in results)}, "
                    f"unanswered={sum(r.unanswered for r in results)}, "
                    f"errors={sum(r.errors for r in results)}, "
                    f"outdated roots={sum(r.outdated_root for r in results)}, "
                    f"all answered in p50={statistics.median(answered):.0f} ms"
                )
        finally:
            logging.getLogger("promisebot").removeHandler(errors)
            driver.close()
            server.stop()
            runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--racers", type=int, default=20)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL, help="admin URL ('' for SQLite)")
    args = parser.parse_args()
    # The figures, and the app's errors if there are any; nothing else.
    logging.basicConfig(level=logging.CRITICAL, format="%(levelname)s %(name)s: %(message)s")
    if args.postgres:
        try:
            with postgres_database(args.postgres) as url:
                run(url, "PostgreSQL", args)
            return
        except Exception as error:
            if "connect" not in str(error).lower():
                raise
            print(f"PostgreSQL unreachable ({type(error).__name__}); using SQLite instead.")
    with sqlite_database("approvals.db") as url:
        run(url, "SQLite", args)


if __name__ == "__main__":
    main()
