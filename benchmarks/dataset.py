"""Shared by the benchmarks: synthetic tracker data in the file format, a SQLite or
PostgreSQL database of their own for a run, the bare Bolt baseline, and small measures
(percentiles, free ports, a process's resident memory)."""

from __future__ import annotations

import json
import random
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from promisebot.db.uow import Database
from promisebot.db.urls import normalize_url
from promisebot.domain import Rating
from promisebot.services.trackers import TrackerService

TOPICS = [
    "police",
    "immigration",
    "tariffs",
    "taxes",
    "housing",
    "transit",
    "energy",
    "education",
    "health",
    "trade",
    "border",
    "courts",
    "jobs",
    "climate",
    "water",
    "roads",
    "broadband",
    "veterans",
    "farms",
    "schools",
    "prisons",
]
VERBS = [
    "Expand",
    "Cut",
    "End",
    "Create",
    "Fund",
    "Repeal",
    "Build",
    "Protect",
    "Lower",
    "Raise",
    "Reform",
    "Ban",
]
OBJECTS = [
    "grants",
    "credits",
    "fees",
    "programs",
    "permits",
    "subsidies",
    "reviews",
    "audits",
    "lanes",
    "shelters",
    "clinics",
    "pensions",
    "loans",
]


def promise_rows(
    count: int, *, trackers: int = 5, evidence_every: int = 10, seed: int = 7
) -> list[dict[str, object]]:
    rng = random.Random(seed)
    ratings = [rating.label for rating in Rating]
    rows: list[dict[str, object]] = []
    for n in range(count):
        topic = rng.choice(TOPICS)
        title = f"{rng.choice(VERBS)} {topic} {rng.choice(OBJECTS)} number {n}"
        row: dict[str, object] = {
            "tracker": f"tracker-{n % trackers}",
            "tracker_name": f"Tracker {n % trackers}",
            "id": f"promise-{n}",
            "title": title,
            "description": f"A pledge about {topic} and {rng.choice(TOPICS)} made in speech {n}.",
            "tags": [topic, rng.choice(TOPICS)],
            "rating": rng.choice(ratings),
            "rated_on": (date(2025, 1, 20) + timedelta(days=rng.randrange(600))).isoformat(),
            "source_url": f"https://tracker.example/promise-{n}",
        }
        if evidence_every and n % evidence_every == 0:
            row["evidence"] = [
                {
                    "url": f"https://news.example/{n}",
                    "title": f"Report on {topic}",
                    "publisher": "News Example",
                    "published_on": row["rated_on"],
                    "note": "",
                }
            ]
        rows.append(row)
    return rows


def load_rows(db: Database, rows: list[dict[str, object]]) -> None:
    TrackerService(db).import_text(json.dumps(rows), "json", source="benchmark")


POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_reachable(admin_url: str = POSTGRES_ADMIN_URL) -> bool:
    engine = create_engine(normalize_url(admin_url))
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def sqlite_database(filename: str = "bench.db") -> Iterator[str]:
    """A SQLite database file in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / filename}"


@contextmanager
def postgres_database(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A database created for this run on the server at `admin_url`, dropped afterwards."""
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"promisebot_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield (
                make_url(normalize_url(admin_url))
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def bare_app(api_url: str, signing_secret: str | None, reply: str = "ok") -> App:
    """The baseline: a Bolt app whose `/promise` handler only acks `reply`."""
    app = App(client=WebClient(token="xoxb-bench", base_url=api_url), signing_secret=signing_secret)

    @app.command("/promise")
    def handle(ack: Ack) -> None:
        ack(reply)

    return app


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident set (`VmRSS`) or its peak (`VmHWM`), from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0
