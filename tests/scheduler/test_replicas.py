"""Three scheduler replicas — separate processes, separate engines — firing the same
schedule on PostgreSQL: one post per period, and a claimer killed before posting does not
lose the digest or cause a duplicate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from promisebot.db.models import DigestRun
from promisebot.db.uow import Database
from promisebot.sandbox import FakeSlack
from tests.databases import postgres_only
from tests.factories import add_promise, add_schedule
from tests.scheduler.support import MONDAY_9AM

ROOT = Path(__file__).resolve().parents[2]
WEEK = timedelta(days=7)


def start_replica(
    config: dict[str, Any], module: str = "tests.scheduler.replica"
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", module, json.dumps(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, list[str]]:
    out, err = process.communicate(timeout=60)
    if process.returncode == 0:
        return 0, json.loads(out)
    return process.returncode, [err[-2000:]]


def runs(db: Database) -> list[tuple[str, str, bool, str | None]]:
    with db.reading() as uow:
        rows = uow.session.scalars(select(DigestRun).order_by(DigestRun.period_key)).all()
        return [(r.period_key, r.claimed_by, r.posted_at is not None, r.message_ts) for r in rows]


@postgres_only
def test_three_replicas_post_exactly_once_per_period(db: Database) -> None:
    add_promise(db, "a", now=MONDAY_9AM - 4 * WEEK)
    schedule = add_schedule(db)
    fire_times = [(MONDAY_9AM + n * WEEK).isoformat() for n in range(4)]
    with FakeSlack() as fake:
        start_at = time.time() + 2
        replicas = [
            start_replica(
                {
                    "database_url": db.url,
                    "api_url": fake.api_url,
                    "claimer": f"replica-{n}",
                    "schedule_id": schedule,
                    "fire_times": fire_times,
                    "now": MONDAY_9AM.isoformat(),
                    "start_at": start_at,
                    "mode": "run",
                }
            )
            for n in range(3)
        ]
        results = [finish(process) for process in replicas]
        posted = fake.posted_messages()

    assert [code for code, _ in results] == [0, 0, 0], results
    statuses = [outcome for _, outcomes in results for outcome in outcomes]
    assert statuses.count("posted") == 4 and statuses.count("not_claimed") == 8
    assert len(posted) == 4
    recorded = runs(db)
    assert [period for period, *_ in recorded] == [
        "2026-11-30T09:00",
        "2026-12-07T09:00",
        "2026-12-14T09:00",
        "2026-12-21T09:00",
    ]
    assert all(done for _, _, done, _ in recorded)
    assert len({ts for *_, ts in recorded}) == 4


@postgres_only
def test_a_claimer_killed_before_posting_is_retried_exactly_once(db: Database) -> None:
    add_promise(db, "a", now=MONDAY_9AM - WEEK)
    schedule = add_schedule(db)
    fire = MONDAY_9AM.isoformat()
    with FakeSlack() as fake:
        base = {
            "database_url": db.url,
            "api_url": fake.api_url,
            "schedule_id": schedule,
            "fire_times": [fire],
            "now": fire,
            "start_at": 0,
            "mode": "run",
        }
        killed = finish(start_replica({**base, "claimer": "doomed", "die_before_post": True}))
        assert killed[0] == 3
        assert runs(db) == [("2026-11-30T09:00", "doomed", False, None)]

        # While the dead claim is fresh nobody posts; once stale, one of two sweeps does.
        too_soon = finish(start_replica({**base, "claimer": "early"}))
        later = (MONDAY_9AM + timedelta(minutes=7)).isoformat()
        start_at = time.time() + 2
        sweepers = [
            start_replica(
                {**base, "claimer": f"sweeper-{n}", "mode": "retry", "now": later}
                | {"start_at": start_at}
            )
            for n in range(2)
        ]
        swept = [finish(process) for process in sweepers]
        posted = fake.posted_messages()

    assert too_soon == (0, ["not_claimed"])
    assert sorted(outcome for _, outcomes in swept for outcome in outcomes) == ["posted"]
    assert len(posted) == 1
    ((period, claimer, done, ts),) = runs(db)
    assert period == "2026-11-30T09:00" and done and claimer.startswith("sweeper-")
    assert ts == "1700000000.000100"  # the fake's first and only message
