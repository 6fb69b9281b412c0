"""Synthetic tracker data for benchmarks: realistic-looking promises in the file format."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from promisebot.db.uow import Database
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
