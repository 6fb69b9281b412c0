"""Two replicas: a promise imported by one process is found by another's lookup right after
the import commits (the catalog version row, not a timer, tells the second replica)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from promisebot.db.uow import Database
from promisebot.domain import Rating
from promisebot.services.lookup import LookupService
from promisebot.services.trackers import load_demo
from tests.clock import FakeClock


def _import_in_another_process(database_url: str, rows: list[dict[str, object]], tmp: Path) -> None:
    path = tmp / "tracker.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROMISEBOT_"))}
    env["DATABASE_URL"] = database_url
    subprocess.run(
        [sys.executable, "-m", "promisebot", "import", str(path)],
        env=env,
        cwd=tmp,
        check=True,
        capture_output=True,
    )


def test_a_promise_imported_by_one_replica_is_found_by_another_at_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    load_demo(db, clock)
    replica_b = LookupService(db, clock)
    replica_b.warm()
    assert replica_b.search("municipal beekeeping").kind == "none"

    roof = {
        "tracker": "rivera-mayor",
        "tracker_name": "Mayor Rivera",
        "id": "roof-beehives",
        "title": "Put municipal beekeeping hives on every library roof",
        "rating": "In the Works",
        "rated_on": "2025-06-01",
    }
    park = {**roof, "id": "park-beehives", "title": "Put municipal beekeeping hives in every park"}
    _import_in_another_process(database_url, [roof, park], tmp_path)

    found = replica_b.search("beekeeping library roof")
    assert found.card is not None and found.card.external_id == "roof-beehives"

    _import_in_another_process(database_url, [{**park, "rating": "Promise Kept"}], tmp_path)

    # A pick-list is rendered from memory: its ratings must be the committed ones.
    listed = replica_b.search("municipal beekeeping hives")
    assert listed.kind == "ambiguous"
    ratings = {item.external_id: item.rating for item in listed.candidates}
    assert ratings == {"roof-beehives": Rating.IN_THE_WORKS, "park-beehives": Rating.PROMISE_KEPT}
