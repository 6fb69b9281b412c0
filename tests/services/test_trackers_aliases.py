"""Aliases in tracker files: the optional `aliases` column in and out, exact round trips,
idempotent re-imports, and clashes refused before anything is written."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from promisebot.db import migrate
from promisebot.db.uow import Database
from promisebot.services.lookup import LookupService
from promisebot.services.lookup.aliases import AliasInfo, AliasService
from promisebot.services.trackers import FileFormat, InvalidTrackerRows, TrackerService
from tests.clock import FakeClock
from tests.services.test_evidence import editor_permissions
from tests.services.test_trackers import DATA, dump_tables

EDITOR = "U_ED1"


def _rows(**aliases: list[str]) -> list[dict[str, Any]]:
    """valid.json, with the given aliases (by promise id; `cafe` for café-tax)."""
    rows: list[dict[str, Any]] = json.loads((DATA / "valid.json").read_text())
    for row in rows:
        key = "cafe" if row["id"] == "café-tax" else row["id"].replace("-", "_")
        if key in aliases:
            row["aliases"] = aliases[key]
    return rows


def _import(db: Database, rows: list[dict[str, Any]]) -> None:
    TrackerService(db).import_text(json.dumps(rows), FileFormat.JSON)


def _aliases(db: Database, external_id: str) -> tuple[AliasInfo, ...]:
    clock = FakeClock()
    promise = LookupService(db, clock).find_one(external_id)
    return AliasService(db, clock, editor_permissions(clock)).aliases_of(promise.id).aliases


def _given(*texts: str) -> tuple[AliasInfo, ...]:
    return tuple(AliasInfo(text, learned=False) for text in texts)


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_aliases_round_trip_exactly_and_reimport_changes_nothing(
    db: Database, fresh_database_url: str, fmt: FileFormat
) -> None:
    _import(db, _rows(bridge_repair=["Bridge fix", "=HYPERLINK spans"], bus_lanes=["=BRT"]))
    exported = TrackerService(db).export(fmt)
    migrate.upgrade(fresh_database_url)
    copy = Database(fresh_database_url)
    try:
        TrackerService(copy).import_text(exported, fmt)
        assert TrackerService(copy).export(fmt) == exported
        assert _aliases(copy, "bridge-repair") == _given("Bridge fix", "=HYPERLINK spans")
        before = dump_tables(copy)
        assert not TrackerService(copy).import_text(exported, fmt).changed
        assert dump_tables(copy) == before
    finally:
        copy.dispose()
    if fmt is FileFormat.CSV:
        header, *rows = csv.reader(io.StringIO(exported))
        by_id = {row[header.index("id")]: row[header.index("aliases")] for row in rows}
        assert header[-1] == "aliases"
        assert by_id == {
            "bus-lanes": "'=BRT",
            "bridge-repair": "Bridge fix;=HYPERLINK spans",
            "café-tax": "",
        }
    else:
        by_id = {row["id"]: row for row in json.loads(exported)}
        assert by_id["bus-lanes"]["aliases"] == ["=BRT"]
        assert "aliases" not in by_id["café-tax"]


def test_files_without_aliases_keep_them_and_export_as_before(db: Database) -> None:
    plain_export = {}
    _import(db, _rows())
    for fmt in FileFormat:
        plain_export[fmt] = TrackerService(db).export(fmt)
    assert "aliases" not in plain_export[FileFormat.CSV].splitlines()[0]

    _import(db, _rows(bus_lanes=["BRT", "rapid buses"]))
    report = TrackerService(db).import_text(json.dumps(_rows()), FileFormat.JSON)

    assert not report.changed
    assert _aliases(db, "bus-lanes") == _given("BRT", "rapid buses")


def test_a_row_with_aliases_replaces_the_given_ones(db: Database) -> None:
    _import(db, _rows(bus_lanes=["BRT", "rapid buses"]))
    clock = FakeClock()
    aliases = AliasService(db, clock, editor_permissions(clock, EDITOR, "U_ED2"))
    bus = LookupService(db, clock).find_one("bus-lanes").id
    aliases.record_pick(bus, "transit lanes", EDITOR)  # learned
    aliases.record_pick(bus, "red lanes", EDITOR)  # learned

    report = TrackerService(db).import_text(
        json.dumps(_rows(bus_lanes=["rapid buses", "Red lanes", "busway"])), FileFormat.JSON
    )

    assert (report.promises_updated, report.promises_unchanged) == (1, 2)
    assert _aliases(db, "bus-lanes") == (
        *_given("rapid buses", "Red lanes", "busway"),
        AliasInfo("transit lanes", learned=True),
    )
    card = LookupService(db, clock).search("busway").card
    assert card is not None and card.external_id == "bus-lanes"


def test_aliases_may_move_between_promises_in_one_file(db: Database) -> None:
    _import(db, _rows(bridge_repair=["spans"], cafe=["coffee"]))
    _import(db, _rows(bridge_repair=["coffee"], cafe=["spans"]))
    assert _aliases(db, "bridge-repair") == _given("coffee")
    assert _aliases(db, "café-tax") == _given("spans")


def test_an_alias_another_promise_keeps_refuses_the_import(db: Database) -> None:
    _import(db, _rows(bridge_repair=["spans"]))
    before = dump_tables(db)

    with pytest.raises(InvalidTrackerRows) as refused:
        _import(db, _rows(cafe=["bus", "Spans!"], bus_lanes=["spans"]))

    # bus-lanes is another tracker's: the same alias is fine there.
    assert refused.value.problems == (
        "row 2: aliases 'Spans!' is already an alias of 'bridge-repair'; remove it there first",
    )
    assert dump_tables(db) == before


def test_bad_aliases_in_a_file_are_row_problems(db: Database) -> None:
    rows = _rows(bridge_repair=["ok"], cafe=["x" * 61], bus_lanes=["a;b"])
    rows.append({**rows[0], "id": "bridge-two", "aliases": ["OK"]})
    rows.append({**rows[0], "id": "bridge-three", "aliases": ["?!"]})
    with pytest.raises(InvalidTrackerRows) as refused:
        _import(db, rows)
    assert refused.value.problems == (
        "row 2: aliases an alias is at most 60 characters; that one has 61.",
        "row 3: aliases 'a;b' contains ';', which separates aliases",
        "row 4: aliases 'OK' is already an alias of 'bridge-repair' on row 1",
        "row 5: aliases '?!' has no word search could use (only punctuation or words like 'the').",
    )
