"""Tracker import and export at 10,000 promises (5 trackers, evidence and history on a tenth)
on SQLite and, when reachable, PostgreSQL. Targets: import < 10 s, export < 3 s.

Run: .venv/bin/python benchmarks/import_export.py [--promises N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy.exc import OperationalError  # noqa: E402

from promisebot.db import migrate  # noqa: E402
from promisebot.db.uow import Database  # noqa: E402
from promisebot.domain import Rating  # noqa: E402
from promisebot.services.trackers import FileFormat, TrackerService  # noqa: E402
from promisebot.services.trackers.file_format import parse, render  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from dataset import POSTGRES_ADMIN_URL, postgres_database, sqlite_database  # noqa: E402

T = TypeVar("T")
TRACKERS = 5
WORDS = [
    "expand", "cut", "end", "create", "fund", "repeal", "build", "protect", "lower", "raise",
    "reform", "ban", "police", "housing", "transit", "energy", "schools", "tariffs", "taxes",
    "border", "courts", "jobs", "climate", "water", "roads", "veterans",
]  # fmt: skip


def generate(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Rows in the JSON file format; every tenth promise has two evidence links and history."""
    rng = random.Random(seed)
    ratings = [rating.label for rating in Rating]
    rows = []
    for n in range(count):
        tracker = n % TRACKERS
        rated_on = date(2025, 1, 20) + timedelta(days=rng.randrange(600))
        rating = rng.choice(ratings[1:])
        row: dict[str, Any] = {
            "tracker": f"tracker-{tracker}",
            "tracker_name": f"Tracker {tracker}-O-Meter",
            "tracker_subject": f"Politician {tracker}",
            "id": f"promise-{n:05d}",
            "title": " ".join(rng.choices(WORDS, k=8)).capitalize(),
            "description": " ".join(rng.choices(WORDS, k=40)).capitalize() + ".",
            "tags": rng.sample(WORDS, 2),
            "rating": rating,
            "rated_on": rated_on.isoformat(),
            "source_url": f"https://tracker.example.org/t{tracker}/promise-{n:05d}/",
            "evidence": [],
            "history": [],
        }
        if n % 10 == 0:
            row["evidence"] = [
                {
                    "url": f"https://news.example.org/{n}/{i}",
                    "title": f"Report {i} on promise {n}",
                    "publisher": "News Example",
                    "published_on": (rated_on - timedelta(days=10 * i)).isoformat(),
                    "note": "Cited in the rating.",
                }
                for i in (1, 2)
            ]
            row["history"] = [
                {
                    "from": "Not Yet Rated",
                    "to": rating,
                    "effective_on": rated_on.isoformat(),
                    "rationale": "First assessment.",
                }
            ]
        rows.append(row)
    return rows


def timed(action: Callable[..., T], *args: Any) -> tuple[float, T]:
    start = time.perf_counter()
    result = action(*args)
    return time.perf_counter() - start, result


def bench_backend(
    label: str, database: Callable[[], Any], files: dict[FileFormat, str]
) -> list[tuple[str, str, float]]:
    figures = []
    for fmt, content in files.items():
        with database() as url:
            migrate.upgrade(url)
            db = Database(url)
            try:
                service = TrackerService(db)
                seconds, report = timed(service.import_text, content, fmt)
                assert report.promises_created == len(parse(content, fmt).records), report
                figures.append((label, f"import {fmt} (empty database)", seconds))
                seconds, report = timed(service.import_text, content, fmt)
                assert not report.changed, report
                figures.append((label, f"re-import {fmt} (no changes)", seconds))
                seconds, report = timed(service.import_text, _with_new_ratings(content, fmt), fmt)
                assert report.rating_changes > 0, report
                figures.append((label, f"import {fmt} (10% ratings changed)", seconds))
                if fmt is not FileFormat.JSON:
                    continue  # export the full data set (evidence and history) only
                for export_fmt in FileFormat:
                    runs = [timed(service.export, export_fmt)[0] for _ in range(3)]
                    figures.append((label, f"export {export_fmt} (best of 3)", min(runs)))
            finally:
                db.dispose()
    return figures


def _with_new_ratings(content: str, fmt: FileFormat) -> str:
    """The same file with every tenth rating moved on (history dropped: it is only read for
    new promises)."""
    records = list(parse(content, fmt).records)
    for index in range(5, len(records), 10):
        record = records[index]
        target = Rating.PROMISE_KEPT if record.rating is not Rating.PROMISE_KEPT else Rating.STALLED
        records[index] = record.model_copy(update={"rating": target, "history": ()})
    return render(records, fmt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--promises", type=int, default=10_000)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL, help="admin URL ('' to skip)")
    args = parser.parse_args()

    rows = generate(args.promises)
    json_text = json.dumps(rows, ensure_ascii=False, indent=2)
    csv_text = render(parse(json_text, FileFormat.JSON).records, FileFormat.CSV)
    files = {FileFormat.JSON: json_text, FileFormat.CSV: csv_text}
    print(
        f"{args.promises} promises, {TRACKERS} trackers, "
        f"{sum(len(r['evidence']) for r in rows)} evidence links, "
        f"{sum(len(r['history']) for r in rows)} history steps; "
        f"JSON {len(json_text) / 1e6:.1f} MB, CSV {len(csv_text) / 1e6:.1f} MB"
    )
    print(f"Python {platform.python_version()}, {platform.machine()}")

    figures = []
    for fmt, content in files.items():
        seconds, _ = timed(parse, content, fmt)
        figures.append(("-", f"validate {fmt} only", seconds))
    figures += bench_backend("SQLite", sqlite_database, files)
    if args.postgres:
        try:
            with postgres_database(args.postgres):
                pass
        except OperationalError as error:
            print(f"PostgreSQL skipped: {str(error).splitlines()[0]}")
        else:
            figures += bench_backend("PostgreSQL", lambda: postgres_database(args.postgres), files)

    print(f"\n{'database':<11} {'operation':<36} {'seconds':>8}")
    for database, operation, seconds in figures:
        print(f"{database:<11} {operation:<36} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
