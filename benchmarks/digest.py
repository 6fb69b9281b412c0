"""Still-stalled digest: time to select the due promises and render one digest message.

10,000 promises in 5 trackers, 2,000 of them Stalled (1,800 due, 100 reviewed lately,
100 snoozed), every second promise with one evidence link. Times `collect_due` + render
over N runs on SQLite and (if reachable) PostgreSQL in a database of its own.

Run: .venv/bin/python benchmarks/digest.py [--promises N] [--stalled N] [--runs N]
     [--postgres URL|'']
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from promisebot.bootstrap import build_services
from promisebot.db import migrate
from promisebot.db.models import Evidence, Promise, Tracker
from promisebot.db.uow import Database
from promisebot.domain import Rating
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import message_size
from promisebot.slack.blocks.digest import render_digest

sys.path.insert(0, str(Path(__file__).parent))
from dataset import POSTGRES_ADMIN_URL, postgres_database, sqlite_database

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
OTHER_RATINGS = [rating for rating in Rating if rating is not Rating.STALLED]


def populate(db: Database, promises: int, stalled: int) -> None:
    trackers = [
        {"id": n + 1, "slug": f"tracker-{n}", "name": f"Tracker {n}", "subject": "Someone"}
        for n in range(5)
    ]
    rows: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for n in range(promises):
        is_stalled = n % (promises // stalled) == 0 if stalled else False
        rated_at = NOW - timedelta(days=40 + (n * 7919) % 900, minutes=n)
        reviewed_at = rated_at
        snoozed_until = None
        if is_stalled and (n // (promises // stalled)) % 20 == 1:
            reviewed_at = NOW - timedelta(days=3)  # "reviewed — still stalled" lately
        if is_stalled and (n // (promises // stalled)) % 20 == 2:
            snoozed_until = NOW + timedelta(days=30)
        rows.append(
            {
                "id": n + 1,
                "tracker_id": n % 5 + 1,
                "external_id": f"promise-{n}",
                "title": f"Promise number {n} about roads, schools & <budgets>",
                "description": "",
                "tags": [],
                "current_rating": Rating.STALLED if is_stalled else OTHER_RATINGS[n % 5],
                "rated_at": rated_at,
                "last_reviewed_at": reviewed_at,
                "snoozed_until": snoozed_until,
                "source_url": "",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        if n % 2 == 0:
            evidence.append(
                {
                    "promise_id": n + 1,
                    "url": f"https://news.example/{n}",
                    "title": "",
                    "publisher": "",
                    "published_on": date(2026, 1, 1) + timedelta(days=n % 300),
                    "note": "",
                    "added_by": "",
                    "added_at": rated_at,
                }
            )
    with db.transaction() as uow:
        uow.session.execute(insert(Tracker), trackers)
        uow.session.execute(insert(Promise), rows)
        uow.session.execute(insert(Evidence), evidence)
        uow.commit()
    if db.is_postgres:
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench(label: str, url: str, promises: int, stalled: int, runs: int) -> None:
    migrate.upgrade(url)
    db = Database(url)
    try:
        populate(db, promises, stalled)
        settings = load_settings(database_url=url)
        service = build_services(settings, db, lambda: NOW).digests
        select_ms: list[float] = []
        total_ms: list[float] = []
        content = None
        message = None
        for _ in range(runs + 3):
            start = time.perf_counter()
            content = service.collect_due(30)
            selected = time.perf_counter()
            message = render_digest(content, settings.tz)
            done = time.perf_counter()
            select_ms.append((selected - start) * 1000)
            total_ms.append((done - start) * 1000)
        select_ms, total_ms = select_ms[3:], total_ms[3:]  # the first runs warm caches
        assert content is not None and message is not None
        shown = sum(1 for block in message.blocks if block["type"] == "section")
        print(
            f"{label:<10} due={content.total_due} shown={shown} blocks={len(message.blocks)} "
            f"chars={message_size(message.blocks)}"
        )
        print(
            f"{label:<10} select p50={statistics.median(select_ms):.1f} ms "
            f"p99={percentile(select_ms, 0.99):.1f} ms | select+render "
            f"p50={statistics.median(total_ms):.1f} ms p99={percentile(total_ms, 0.99):.1f} ms "
            f"(runs={runs})"
        )
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--promises", type=int, default=10_000)
    parser.add_argument("--stalled", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL, help="admin URL ('' to skip)")
    args = parser.parse_args()
    print(f"{args.promises} promises, {args.stalled} stalled; target: select+render < 500 ms")
    with sqlite_database("digest.db") as url:
        bench("SQLite", url, args.promises, args.stalled, args.runs)
    if args.postgres:
        try:
            with postgres_database(args.postgres) as url:
                bench("PostgreSQL", url, args.promises, args.stalled, args.runs)
        except Exception as error:  # an unreachable server only skips its figures
            print(f"PostgreSQL skipped: {type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
