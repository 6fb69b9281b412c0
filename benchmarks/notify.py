"""Followers' notifications: one rating change on a tag with 500 followers, from the commit
that applied it to the last DM through the fake Slack; and the outbox's own throughput.

10,000 promises in 5 trackers; 2,000 subscriptions: 500 people follow the hot tag, 1,000
follow other promises and 500 follow trackers the changed promises are not in. Each run
approves one change (2 approvals) on a promise with the hot tag, then times a sender's
`run_once` (fan-out, `conversations.open` + `chat.postMessage` per person, record) — once
plain and once with Slack answering 429 (Retry-After 1 s) three times. The throughput part
applies a change to each hot-tag promise left (17 with the defaults, x 500 followers) and
sends them with a no-op messenger (database only).

Run: .venv/bin/python benchmarks/notify.py [--promises N] [--runs N] [--postgres URL|'']
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from promisebot.bootstrap import build_services
from promisebot.db import migrate
from promisebot.db.models import Follow, Promise
from promisebot.db.uow import Database
from promisebot.domain import Rating, Verdict
from promisebot.sandbox import FakeSlack
from promisebot.scheduler.notifications import NotificationSender
from promisebot.services import Services
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Message
from promisebot.slack.client import build_web_client
from promisebot.slack.messenger import Messenger, Posted

sys.path.insert(0, str(Path(__file__).parent))
from dataset import (
    POSTGRES_ADMIN_URL,
    load_rows,
    postgres_database,
    promise_rows,
    sqlite_database,
)

HOT_TAG = "police"
EDITORS = "U_ED1,U_ED2,U_ED3"


class NoSlack(Messenger):
    """Answers like Slack without a network: isolates the database's share."""

    def post(self, channel: str, message: Message, **_: Any) -> Posted:
        return Posted(channel, f"{time.time():.6f}")

    def open_dm(self, user: str) -> str:
        return f"D{user}"

    def permalink(self, channel: str, ts: str) -> str | None:
        return None


def subscribe(db: Database, hot_promises: list[int]) -> None:
    """2,000 follows: 500 on the hot tag, 1,000 on other promises, 500 on other trackers."""
    with db.reading() as uow:
        others = uow.session.scalars(
            select(Promise.id).where(Promise.id.not_in(hot_promises)).limit(1000)
        ).all()
        hot_trackers = set(
            uow.session.scalars(select(Promise.tracker_id).where(Promise.id.in_(hot_promises)))
        )
    cold_trackers = [f"tracker-{n}" for n in range(5) if n + 1 not in hot_trackers] or ["none"]
    rows: list[dict[str, Any]] = []
    for n in range(500):
        rows.append(_follow(f"U_TAG{n:04d}", "tag", HOT_TAG))
    for n, promise_id in enumerate(others):
        rows.append(_follow(f"U_ONE{n:04d}", "promise", str(promise_id)))
    for n in range(500):
        rows.append(_follow(f"U_TRK{n:04d}", "tracker", cold_trackers[n % len(cold_trackers)]))
    with db.transaction() as uow:
        uow.session.execute(insert(Follow), rows)
        uow.commit()


def _follow(subscriber: str, kind: str, key: str) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber,
        "is_channel": False,
        "target_kind": kind,
        "target_key": key,
        "created_by": subscriber,
    }


def apply_change(services: Services, promise_id: int) -> float:
    """Propose and approve a change; returns the instant the applying commit returned."""
    current = services.lookup.card(promise_id).rating
    target = Rating.PROMISE_KEPT if current is not Rating.PROMISE_KEPT else Rating.STALLED
    proposal = services.proposals.propose(
        promise_id=promise_id,
        user="U_ED1",
        to_rating=target,
        rationale="Benchmark change",
        links_text="",
        effective_on=None,
        origin_channel="C_BENCH",
    )
    services.proposals.review(proposal_id=proposal.id, reviewer="U_ED2", verdict=Verdict.APPROVE)
    result = services.proposals.review(
        proposal_id=proposal.id, reviewer="U_ED3", verdict=Verdict.APPROVE
    )
    assert result.applied
    return time.perf_counter()


def drain_outbox(services: Services) -> None:
    """Fan out and mark sent whatever earlier steps wrote (proposals opened), untimed."""
    NotificationSender(services, NoSlack(build_web_client(services.settings)), "drain").run_once()


def bench(url: str, promises: int, runs: int) -> dict[str, Any]:
    migrate.upgrade(url)
    db = Database(url)
    load_rows(db, promise_rows(promises))
    with db.reading() as uow:
        hot = [
            pid
            for pid, tags in uow.session.execute(select(Promise.id, Promise.tags))
            if HOT_TAG in (tags or ())
        ][: runs * 2 + 20]
    subscribe(db, hot)
    figures: dict[str, Any] = {}
    with FakeSlack() as fake:
        settings = load_settings(
            database_url=url,
            slack_api_url=fake.api_url,
            slack_bot_token="xoxb-bench",
            editors=EDITORS,
        )
        services = build_services(settings, db)
        messenger = Messenger(build_web_client(settings))
        for label, workers, faults in (
            ("4 senders", 4, 0),
            ("8 senders", 8, 0),
            ("4 senders, 3 x 429", 4, 3),
        ):
            times = []
            for _ in range(runs):
                promise_id = hot.pop()
                committed = apply_change(services, promise_id)
                if faults:
                    fake.fail_next("chat.postMessage", status=429, times=faults, retry_after=1)
                before = len(fake.calls("chat.postMessage"))
                sender = NotificationSender(services, messenger, f"bench-{label}", workers=workers)
                report = sender.run_once()
                times.append(time.perf_counter() - committed)
                sent = len(fake.calls("chat.postMessage")) - before
                assert sent == report.posted == 500, (sent, report)
            figures[label] = times
        # Outbox throughput: 20 changes x 500 followers through the database alone.
        outbox_services = services
        for promise_id in hot[:20]:
            apply_change(outbox_services, promise_id)
        start = time.perf_counter()
        sender = NotificationSender(
            outbox_services, NoSlack(messenger.client), "bench-db", workers=4
        )
        report = sender.run_once()
        elapsed = time.perf_counter() - start
        figures["outbox"] = (report.posted, elapsed)
    db.dispose()
    return figures


def show(name: str, figures: dict[str, Any]) -> None:
    print(f"\n{name}")
    for label, values in figures.items():
        if label == "outbox":
            posted, elapsed = values
            print(
                f"  outbox, no Slack: {posted} deliveries in {elapsed:.2f} s "
                f"= {posted / elapsed:,.0f} deliveries/s"
            )
            continue
        print(
            f"  commit -> last of 500 DMs, {label}: median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} runs)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--promises", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args(argv)
    databases: list[tuple[str, Callable[[], Any]]] = [("SQLite", sqlite_database)]
    if args.postgres:
        databases.append(("PostgreSQL", lambda: postgres_database(args.postgres)))
    for name, make in databases:
        with make() as url:
            show(name, bench(url, args.promises, args.runs))


if __name__ == "__main__":
    main()
