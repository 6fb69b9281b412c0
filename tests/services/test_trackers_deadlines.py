"""Deadlines in tracker files: the optional `due_on` and `due_label` columns in CSV and JSON,
files without them unchanged, exact round trips, idempotent re-imports, and bad rows refused
with their row numbers and nothing written."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from promisebot.db import migrate
from promisebot.db.uow import Database
from promisebot.services.trackers import FileFormat, InvalidTrackerRows, TrackerService
from tests.services.test_trackers import DATA, LATER, NOW, _import, _promise, _rows, dump_tables


def with_deadlines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The valid rows with a deadline on the first (labelled) and second (no label)."""
    rows[0] |= {"due_on": "2026-12-31", "due_label": "end of 2026"}
    rows[1] |= {"due_on": "2025-04-29"}
    return rows


def test_json_deadlines_are_imported_and_re_importing_changes_nothing(db: Database) -> None:
    rows = with_deadlines(_rows())
    report = _import(db, rows)
    assert report.promises_created == 3
    first, second, third = (_promise(db, row["id"]) for row in rows)
    assert (first.due_on, first.due_label) == (date(2026, 12, 31), "end of 2026")
    assert (second.due_on, second.due_label) == (date(2025, 4, 29), "")
    assert (third.due_on, third.due_label) == (None, "")

    before = dump_tables(db)
    assert not _import(db, rows, at=LATER).changed
    assert dump_tables(db) == before


def test_a_file_without_deadlines_keeps_the_stored_ones_and_imports_as_before(
    db: Database,
) -> None:
    _import(db, _rows())
    _import(db, with_deadlines(_rows()), at=LATER)
    first = _promise(db, _rows()[0]["id"])
    assert first.due_on == date(2026, 12, 31)

    # A file from before deadlines existed: nothing to change, the deadline stays.
    assert not _import(db, _rows(), at=LATER).changed
    assert _promise(db, _rows()[0]["id"]).due_on == date(2026, 12, 31)


def test_a_new_date_in_the_file_replaces_the_deadline_with_its_label(db: Database) -> None:
    _import(db, with_deadlines(_rows()))
    rows = _rows()
    rows[0] |= {"due_on": "2027-06-30"}
    report = _import(db, rows, at=LATER)
    assert report.promises_updated == 1
    first = _promise(db, rows[0]["id"])
    assert (first.due_on, first.due_label) == (date(2027, 6, 30), "")


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_deadlines_round_trip_exactly_through_export(
    db: Database, fresh_database_url: str, fmt: FileFormat
) -> None:
    _import(db, with_deadlines(_rows()))
    exported = TrackerService(db).export(fmt)
    migrate.upgrade(fresh_database_url)
    copy = Database(fresh_database_url)
    try:
        TrackerService(copy).import_text(exported, fmt)
        assert TrackerService(copy).export(fmt) == exported
        assert not TrackerService(db).import_text(exported, fmt).changed
        first = _promise(copy, _rows()[0]["id"])
        assert (first.due_on, first.due_label) == (date(2026, 12, 31), "end of 2026")
    finally:
        copy.dispose()


def test_the_export_formats_carry_the_deadline_columns(db: Database) -> None:
    rows = with_deadlines(_rows())
    _import(db, rows)
    by_id = {row["id"]: row for row in json.loads(TrackerService(db).export("json"))}
    assert by_id[rows[0]["id"]]["due_on"] == "2026-12-31"
    assert by_id[rows[0]["id"]]["due_label"] == "end of 2026"
    assert "due_label" not in by_id[rows[1]["id"]]
    assert "due_on" not in by_id[rows[2]["id"]]  # no deadline, no keys: as before

    table = list(csv.DictReader(io.StringIO(TrackerService(db).export("csv"))))
    assert list(table[0])[-2:] == ["due_on", "due_label"]
    cells = {row["id"]: (row["due_on"], row["due_label"]) for row in table}
    assert cells[rows[0]["id"]] == ("2026-12-31", "end of 2026")
    assert cells[rows[2]["id"]] == ("", "")


def test_an_old_csv_without_the_columns_imports_unchanged(db: Database) -> None:
    old = (DATA / "valid.csv").read_text(encoding="utf-8")
    assert "due_on" not in old
    report = TrackerService(db, clock=lambda: NOW).import_text(old, "csv")
    assert report.promises_created == 3
    assert {_promise(db, "bridge-repair").due_on} == {None}


def test_csv_with_deadline_columns_imports(db: Database) -> None:
    text = (
        "tracker,tracker_name,id,title,rating,rated_on,due_on,due_label\n"
        "gov,Gov,wall,Build the wall,In the Works,2025-01-20,2025-04-29,first 100 days\n"
        "gov,Gov,roads,Fix roads,Stalled,2025-01-20,,\n"
    )
    TrackerService(db, clock=lambda: NOW).import_text(text, "csv")
    wall, roads = _promise(db, "wall"), _promise(db, "roads")
    assert (wall.due_on, wall.due_label) == (date(2025, 4, 29), "first 100 days")
    assert (roads.due_on, roads.due_label) == (None, "")


def test_bad_deadlines_are_row_numbered_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    rows = _rows()
    rows[0] |= {"due_on": "29/04/2025"}
    rows[1] |= {"due_on": "2025-02-30", "due_label": "x" * 61}
    rows[2] |= {"due_on": "1899-12-31"}
    rows.append(rows[0] | {"id": "label-only", "due_on": None, "due_label": "soon"})
    before = dump_tables(db)
    with pytest.raises(InvalidTrackerRows) as raised:
        _import(db, rows)
    assert raised.value.problems == (
        "row 1: due_on '29/04/2025' is not a date (expected YYYY-MM-DD)",
        "row 2: due_on '2025-02-30' is not a date (expected YYYY-MM-DD)",
        "row 2: due_label is longer than 60 characters",
        "row 3: due_on '1899-12-31' is before 1900 (expected YYYY-MM-DD)",
        "row 4: due_label needs a due_on (the deadline's date)",
    )
    assert dump_tables(db) == before
