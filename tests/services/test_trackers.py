"""Tracker import and export against a real database: all-or-nothing, idempotent, ratings
recorded as history, and exports that import into an empty database unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Select, func, select

from promisebot.db import migrate
from promisebot.db.models import AuditEvent, Base, Evidence, Promise, RatingChange, Tracker
from promisebot.db.uow import Database
from promisebot.domain import Rating
from promisebot.services.trackers import (
    FileFormat,
    ImportReport,
    InvalidTrackerRows,
    MalformedTrackerFile,
    TrackerService,
    load_demo,
)

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
T = TypeVar("T")


def _day(year: int, month: int, day: int) -> datetime:
    """How a file's date is stored: noon UTC, the same date in every newsroom time zone."""
    return datetime(year, month, day, 12, tzinfo=UTC)


def dump_tables(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: equal dumps mean an unchanged database."""
    with db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(table.select().order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


def _count(db: Database, model: type[Base]) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def _load(db: Database, statement: Select[T]) -> list[T]:
    """Rows detached from their session, so they can be read after it closes."""
    with db.reading() as uow:
        rows = list(uow.session.scalars(statement))
        uow.session.expunge_all()
    return rows


def _promise(db: Database, external_id: str) -> Promise:
    (promise,) = _load(db, select(Promise).where(Promise.external_id == external_id))
    return promise


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((DATA / "valid.json").read_text())
    return rows


def _import(db: Database, rows: list[dict[str, Any]], at: datetime = NOW) -> ImportReport:
    return TrackerService(db, clock=lambda: at).import_text(json.dumps(rows), FileFormat.JSON)


def test_new_trackers_promises_evidence_and_history_are_created(db: Database) -> None:
    report = TrackerService(db, clock=lambda: NOW).import_file(DATA / "valid.json")
    assert report == ImportReport(
        source="valid.json",
        trackers_created=2,
        promises_created=3,
        evidence_added=2,
        rating_changes=3,
    )
    (ortiz,) = _load(db, select(Tracker).where(Tracker.slug == "ortiz-2024"))
    assert (ortiz.name, ortiz.subject) == ("Ortiz-O-Meter", "Gov. Ana Ortiz")
    changes = _load(db, select(RatingChange).order_by(RatingChange.id))
    (event,) = _load(db, select(AuditEvent))
    bridge = _promise(db, "bridge-repair")
    assert bridge.current_rating is Rating.IN_THE_WORKS
    assert bridge.rated_at == _day(2025, 3, 1)
    # The later of rated_on and the newest evidence date.
    assert bridge.last_reviewed_at == _day(2025, 4, 15)
    assert _promise(db, "bus-lanes").last_reviewed_at == _day(2025, 5, 5)
    assert [(c.from_rating, c.to_rating, c.effective_at.date().isoformat()) for c in changes] == [
        (Rating.NOT_YET_RATED, Rating.IN_THE_WORKS, "2025-03-01"),
        (Rating.NOT_YET_RATED, Rating.STALLED, "2025-01-20"),
        (Rating.STALLED, Rating.PROMISE_BROKEN, "2025-06-30"),
    ]
    assert {(c.proposal_id, c.proposed_by, c.recorded_at) for c in changes} == {
        (None, "import", NOW)
    }
    assert (event.actor, event.action, event.at) == ("import", "trackers.imported", NOW)
    assert event.details["promises_created"] == 3


def test_reimporting_the_same_file_changes_nothing(db: Database) -> None:
    _import(db, _rows())
    before = dump_tables(db)
    report = _import(db, _rows(), at=LATER)
    assert not report.changed
    assert (report.trackers_unchanged, report.promises_unchanged) == (2, 3)
    assert "nothing to change" in report.summary()
    assert dump_tables(db) == before  # no rows, no audit event, updated_at untouched


def test_a_stored_time_of_day_does_not_count_as_a_change(db: Database) -> None:
    """Ratings applied by proposals carry a time; the file only knows the date."""
    _import(db, _rows())
    with db.transaction() as uow:
        promise = uow.session.scalars(
            select(Promise).where(Promise.external_id == "bus-lanes")
        ).one()
        promise.rated_at = datetime(2025, 5, 5, 21, 45, tzinfo=UTC)
        uow.commit()
    before = dump_tables(db)
    assert not _import(db, _rows(), at=LATER).changed
    assert dump_tables(db) == before


def test_a_file_with_bad_rows_writes_nothing(db: Database) -> None:
    _import(db, _rows())
    before = dump_tables(db)
    rows = _rows()
    rows[0]["rating"] = "Promise Kept"  # valid on its own: would be a change
    rows[0]["history"] = []
    rows.append({**rows[2], "id": "new-one", "title": "A new promise"})  # valid: would be added
    rows[1]["rated_on"] = "2025-06-31"
    rows.append({**rows[2], "rating": "Kinda Kept"})
    with pytest.raises(InvalidTrackerRows) as caught:
        _import(db, rows, at=LATER)
    assert [problem.split(":")[0] for problem in caught.value.problems] == [
        "row 2",
        "row 5",
        "row 5",
    ]
    assert dump_tables(db) == before


def test_a_changed_rating_is_recorded_once_as_an_import_change(db: Database) -> None:
    _import(db, _rows())
    created = _promise(db, "bus-lanes")
    rows = _rows()
    rows[2].update(rating="Compromise", rated_on="2025-09-01", description="Ten miles painted.")
    report = _import(db, rows, at=LATER)
    assert (report.promises_updated, report.promises_unchanged, report.rating_changes) == (1, 2, 1)
    promise = _promise(db, "bus-lanes")
    assert promise.current_rating is Rating.COMPROMISE
    assert promise.rated_at == promise.last_reviewed_at == _day(2025, 9, 1)
    assert promise.description == "Ten miles painted."
    assert (promise.created_at, promise.updated_at) == (created.created_at, LATER)
    (change,) = _load(db, select(RatingChange).where(RatingChange.promise_id == promise.id))
    events = _load(db, select(AuditEvent).order_by(AuditEvent.id))
    assert (change.from_rating, change.to_rating) == (Rating.STALLED, Rating.COMPROMISE)
    assert change.effective_at == _day(2025, 9, 1)
    assert (change.proposal_id, change.proposed_by) == (None, "import")
    assert change.rationale == "Rating updated by a tracker file import."
    assert len(events) == 2
    assert events[1].details["rating_changes"] == 1


def test_a_changed_rating_takes_the_rationale_of_the_files_matching_last_step(
    db: Database,
) -> None:
    _import(db, _rows())
    rows = _rows()
    rows[0].update(rating="Promise Kept", rated_on="2026-01-10")
    rows[0]["history"].append(
        {"from": "In the Works", "to": "Promise Kept", "effective_on": "2026-01-10",
         "rationale": "All bridges repaired."}
    )  # fmt: skip
    assert _import(db, rows, at=LATER).rating_changes == 1
    latest = _load(db, select(RatingChange).order_by(RatingChange.id.desc()))[0]
    assert latest.rationale == "All bridges repaired."


def test_blank_optional_fields_keep_stored_values_and_evidence_is_merged(db: Database) -> None:
    _import(db, _rows())
    rows = _rows()
    bridge = rows[0]
    del bridge["description"], bridge["tags"], bridge["source_url"]
    bridge["evidence"][0]["note"] = "Bill HB 12 passed the House."
    bridge["evidence"][1]["title"] = ""
    bridge["evidence"].append(
        {"url": "https://news.example.org/2025/more", "published_on": "2025-08-08"}
    )
    report = _import(db, rows, at=LATER)
    assert (report.evidence_added, report.evidence_updated, report.promises_updated) == (1, 1, 1)
    promise = _promise(db, "bridge-repair")
    assert promise.tags == ["transport", "infrastructure"]
    assert promise.description.startswith("Ortiz promised")
    assert promise.last_reviewed_at == _day(2025, 8, 8)
    evidence = _load(db, select(Evidence).order_by(Evidence.id))
    assert [(e.title, e.note) for e in evidence] == [
        ("Bridge bill filed", "Bill HB 12 passed the House."),
        ("Transport budget", ""),
        ("", ""),
    ]


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_export_imports_into_an_empty_database_unchanged(
    db: Database, fresh_database_url: str, fmt: FileFormat
) -> None:
    TrackerService(db).import_file(DATA / f"valid.{fmt}")
    exported = TrackerService(db).export(fmt)
    migrate.upgrade(fresh_database_url)
    copy = Database(fresh_database_url)
    try:
        report = TrackerService(copy).import_text(exported, fmt)
        assert (report.trackers_created, report.promises_created) == (2, 3)
        assert TrackerService(copy).export(fmt) == exported
        assert not TrackerService(db).import_text(exported, fmt).changed
    finally:
        copy.dispose()


def test_json_export_carries_evidence_and_full_history(db: Database) -> None:
    _import(db, _rows())
    exported = {row["id"]: row for row in json.loads(TrackerService(db).export("json"))}
    original = {row["id"]: row for row in _rows()}
    assert exported["café-tax"]["history"] == original["café-tax"]["history"]
    assert exported["bridge-repair"]["evidence"] == original["bridge-repair"]["evidence"]
    assert exported["bus-lanes"]["evidence"] == exported["bus-lanes"]["history"] == []


def test_export_order_is_by_tracker_then_id_on_every_database(db: Database) -> None:
    ids = ["b-2", "B-1", "a_1", "a-2", "a10", "a9"]
    rows = [
        {"tracker": tracker, "tracker_name": tracker.upper(), "id": external_id, "title": "T",
         "rating": "Stalled", "rated_on": "2025-01-01"}
        for tracker in ("zeta", "alpha")
        for external_id in ids
    ]  # fmt: skip
    _import(db, rows)
    exported = TrackerService(db).export("csv").splitlines()[1:]
    keys = [tuple(line.split(",")[0:3:2]) for line in exported]
    assert keys == [(tracker, i) for tracker in ("alpha", "zeta") for i in sorted(ids)]


def test_export_to_a_file(db: Database, tmp_path: Path) -> None:
    _import(db, _rows())
    target = tmp_path / "out.csv"
    report = TrackerService(db).export_to(target, "csv")
    assert (report.trackers, report.promises) == (2, 3)
    assert target.read_text(encoding="utf-8") == TrackerService(db).export("csv")
    assert [path.name for path in tmp_path.iterdir()] == ["out.csv"]


def test_files_are_read_as_utf8_with_an_optional_bom(db: Database, tmp_path: Path) -> None:
    text = (DATA / "valid.csv").read_text(encoding="utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(text.encode("latin-1"))
    with pytest.raises(MalformedTrackerFile, match="not UTF-8 text"):
        TrackerService(db).import_file(latin)
    assert _count(db, Promise) == 0
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert TrackerService(db).import_file(bom).promises_created == 3


def test_an_unreadable_path_is_one_clear_error(db: Database, tmp_path: Path) -> None:
    with pytest.raises(MalformedTrackerFile, match=r"Cannot read .*missing\.json"):
        TrackerService(db).import_file(tmp_path / "missing.json")


def test_demo_tracker_loads_once(db: Database) -> None:
    report = load_demo(db)
    assert report.promises_created > 20
    assert report.trackers_created >= 2
    assert not load_demo(db).changed
    assert _count(db, AuditEvent) == 1
