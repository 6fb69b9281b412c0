"""`promisebot import` and `promisebot export`: exit codes, messages, and the database
they leave behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from promisebot.bootstrap import build_services
from promisebot.cli import main
from promisebot.db.uow import Database
from promisebot.services.follows import Target, TargetKind
from promisebot.settings import get_settings, load_settings
from tests.services.test_trackers import dump_tables

DATA = Path(__file__).parent / "services" / "data"


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The CLI reads settings once per process; each test re-reads its own environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()


@pytest.fixture
def cli_db(db: Database, monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> Database:
    _point_at(monkeypatch, db.url)
    return db


def test_import_prints_a_summary(cli_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(DATA / "valid.json")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("valid.json: 2 trackers (2 new, 0 updated), 3 promises (3 new,")
    assert err == ""
    assert main(["import", str(DATA / "valid.json")]) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_import_with_bad_rows_prints_each_and_writes_nothing(
    cli_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", str(DATA / "valid.csv")])
    capsys.readouterr()
    before = dump_tables(cli_db)
    path = DATA / "bad_rows.csv"
    assert main(["import", str(path)]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == ""
    assert lines[0].startswith("row 1: rating 'Kinda Kept' is not one of: Not Yet Rated,")
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "row 1",
        "row 2",
        "row 3",
        "row 3",
        "row 3",
        "row 4",
        "row 4",
        "row 5",
    ]
    assert lines[-1] == (
        f"promisebot: {path}: 8 problems in the file (row 1 is the first promise, after any "
        "CSV header); nothing was imported."
    )
    assert dump_tables(cli_db) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        ("caf\u00e9".encode("latin-1"), "The file is not UTF-8 text"),
        (b"[{]", "The file is not valid JSON"),
    ],
)
def test_malformed_files_give_one_line_and_exit_1(
    cli_db: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / "tracker.json"
    path.write_bytes(content)
    assert main(["import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"promisebot: {path}: {message}")
    assert len(err.splitlines()) == 1
    assert out == ""


def test_missing_file_and_unknown_type(
    cli_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "nope.csv")]) == 1
    assert "Cannot read" in capsys.readouterr().err
    (tmp_path / "tracker.xlsx").write_bytes(b"x")
    assert main(["import", str(tmp_path / "tracker.xlsx")]) == 1
    assert "use a .csv or .json file" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_to_stdout_round_trips(
    cli_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    main(["import", str(DATA / f"valid.{fmt}")])
    capsys.readouterr()
    assert main(["export", "--format", fmt]) == 0
    exported, err = capsys.readouterr()
    assert err == ""
    if fmt == "json":
        assert [row["id"] for row in json.loads(exported)] == [
            "bus-lanes",
            "bridge-repair",
            "café-tax",
        ]
    else:
        assert exported.startswith("tracker,tracker_name,id,title,description,tags,rating,")
    path = tmp_path / f"again.{fmt}"
    path.write_text(exported, encoding="utf-8")
    assert main(["import", str(path)]) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_export_to_a_file(
    cli_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", str(DATA / "valid.json")])
    capsys.readouterr()
    target = tmp_path / "out.json"
    assert main(["export", "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"Exported 3 promises of 2 trackers to {target}.\n"
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 3
    assert main(["export", "-o", str(tmp_path / "out.csv")]) == 1
    assert "add --format csv" in capsys.readouterr().err
    assert main(["export", "--format", "csv", "-o", str(tmp_path / "no" / "out.csv")]) == 1
    assert "Cannot write" in capsys.readouterr().err


def test_commands_ask_for_migrations_first(
    fresh_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _point_at(monkeypatch, fresh_database_url)
    assert main(["import", str(DATA / "valid.json")]) == 1
    assert "run `promisebot db upgrade` first" in capsys.readouterr().err
    assert main(["export"]) == 1
    assert "run `promisebot db upgrade` first" in capsys.readouterr().err


def test_csv_export_keeps_formulas_as_text_and_round_trips_exactly(
    cli_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    formula = '=HYPERLINK("https://evil.example","click")'
    quoted = "'=1+1 is what the title really says"
    source = [
        {
            "tracker": "ortiz-2024",
            "tracker_name": "Ortiz-O-Meter",
            "id": f"formula-{n}",
            "title": title,
            "description": title,
            "rating": "Stalled",
            "rated_on": "2025-03-01",
        }
        for n, title in enumerate((formula, quoted))
    ]
    (tmp_path / "in.json").write_text(json.dumps(source), encoding="utf-8")
    assert main(["import", str(tmp_path / "in.json")]) == 0
    out = tmp_path / "out.csv"
    assert main(["export", "--format", "csv", "-o", str(out)]) == 0
    exported = out.read_text(encoding="utf-8")
    assert '"\'=HYPERLINK(""https://evil.example"",""click"")"' in exported
    assert ",''=1+1 is what the title really says," in exported
    assert ',"=' not in exported and ",=" not in exported
    before = dump_tables(cli_db)
    capsys.readouterr()
    assert main(["import", str(out)]) == 0
    assert "nothing to change" in capsys.readouterr().out
    assert dump_tables(cli_db) == before
    assert main(["export", "--format", "json"]) == 0
    titles = {row["id"]: row["title"] for row in json.loads(capsys.readouterr().out)}
    assert titles == {"formula-0": formula, "formula-1": quoted}


def test_export_does_not_tell_who_follows_what(
    cli_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", str(DATA / "valid.json")])
    services = build_services(load_settings(editors="U_EDITOR"), cli_db)
    bus_lanes = services.lookup.find_one("bus-lanes")
    services.follows.follow(Target.promise(bus_lanes.id), user="U_SECRET_FOLLOWER")
    services.follows.follow(
        services.follows.resolve(TargetKind.TRACKER, bus_lanes.tracker),
        user="U_EDITOR",
        channel="C_SECRET_DESK",
    )
    capsys.readouterr()
    for fmt in ("json", "csv"):
        assert main(["export", "--format", fmt]) == 0
        exported = capsys.readouterr().out
        assert "bus-lanes" in exported
        assert "SECRET" not in exported and "follow" not in exported.lower()
