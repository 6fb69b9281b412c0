"""Reading tracker data files: every row problem named with its row, malformed files refused
with one message, and exports that read back as the same rows."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promisebot.domain import Rating
from promisebot.services.trackers.file_format import (
    FileFormat,
    InvalidTrackerRows,
    MalformedTrackerFile,
    csv_escape,
    csv_unescape,
    decode,
    parse,
    render,
)

DATA = Path(__file__).parent / "data"
RATINGS = "Not Yet Rated, In the Works, Stalled, Compromise, Promise Kept, Promise Broken"


def _row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tracker": "ortiz-2024",
        "tracker_name": "Ortiz-O-Meter",
        "id": "bridge-repair",
        "title": "Repair every bridge",
        "rating": "In the Works",
        "rated_on": "2025-03-01",
        "evidence": [{"url": "https://news.example.org/a", "published_on": "2025-02-10"}],
        "history": [{"from": "Not Yet Rated", "to": "In the Works", "effective_on": "2025-03-01"}],
    }
    row.update(changes)
    return {key: value for key, value in row.items() if value is not ...}


def _problems(rows: list[Any], fmt: FileFormat = FileFormat.JSON) -> list[str]:
    text = json.dumps(rows) if fmt is FileFormat.JSON else rows[0]
    with pytest.raises(InvalidTrackerRows) as caught:
        parse(text, fmt)
    return list(caught.value.problems)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"titel": "x"}, "unknown field 'titel'"),
        ({"tracker": ...}, "tracker is required"),
        ({"id": "  "}, "id is required"),
        ({"title": None}, "title is required"),
        ({"rating": ...}, "rating is required"),
        ({"rated_on": ""}, "rated_on is required"),
        ({"rating": "Kinda Kept"}, f"rating 'Kinda Kept' is not one of: {RATINGS}"),
        ({"rated_on": "2025-02-30"}, "rated_on '2025-02-30' is not a date (expected YYYY-MM-DD)"),
        ({"rated_on": "03/01/2025"}, "rated_on '03/01/2025' is not a date (expected YYYY-MM-DD)"),
        (
            {"source_url": "ftp://files.example.org/x"},
            "source_url 'ftp://files.example.org/x' is not a web link; "
            "links must start with http:// or https://.",
        ),
        ({"title": "x" * 301}, "title is longer than 300 characters"),
        ({"tracker": "t" * 65}, "tracker is longer than 64 characters"),
        ({"tracker": "x", "tracker_name": "n" * 201}, "tracker_name is longer than 200 characters"),
        ({"id": "bridge repair"}, "id 'bridge repair' must not contain spaces"),
        ({"title": 7}, "title must be text"),
        ({"tags": 7}, "tags must be a list of tags"),
        ({"tags": ["a;b"]}, "tags 'a;b' contains ';', which separates tags"),
        ({"evidence": {"url": "https://x.example"}}, "evidence must be a list"),
        ({"evidence": ["https://x.example"]}, "evidence #1 must be an object"),
        (
            {"evidence": [{"url": "https://news.example.org/a"}, {"url": "news"}]},
            "evidence #2 url 'news' is not a web link; links must start with http:// or https://.",
        ),
        (
            {"evidence": [{"url": "https://x.example", "note": "n", "by": "me"}]},
            "evidence #1 unknown field 'by'",
        ),
        (
            {"evidence": [{"url": "https://x.example", "published_on": "2025-1-2"}]},
            "evidence #1 published_on '2025-1-2' is not a date (expected YYYY-MM-DD)",
        ),
        (
            {"evidence": [{"url": "https://x.example"}, {"url": "https://x.example"}]},
            "evidence #2 url repeats evidence #1",
        ),
        ({"history": [{"from": "Stalled", "to": "Kept"}]}, "history #1 effective_on is required"),
        (
            {"history": [{"from": "Not Yet Rated", "to": "Stalled", "effective_on": "2025-01-01"}]},
            "history ends at 'Stalled' but rating is 'In the Works'",
        ),
        (
            {
                "history": [
                    {"from": "Not Yet Rated", "to": "Stalled", "effective_on": "2025-01-01"},
                    {"from": "Compromise", "to": "In the Works", "effective_on": "2025-02-01"},
                ]
            },
            "history #2 from 'Compromise' does not follow history #1, which ends at 'Stalled'",
        ),
    ],
)
def test_each_row_problem_is_named_with_its_row(changes: dict[str, Any], problem: str) -> None:
    rows = [_row(id="first"), _row(**changes), _row(id="third")]
    assert _problems(rows) == [f"row 2: {problem}"]


def test_rules_across_rows_name_the_row_that_breaks_them() -> None:
    rows = [
        _row(),
        _row(id="b", tracker_name=...),
        _row(id="c", tracker_name="Ortiz Meter"),
        _row(tracker="lee-mayor", tracker_name=...),
        _row(rating="Stalled"),  # a duplicate, and its history no longer ends at its rating
        "not an object",
    ]
    assert _problems(rows) == [
        "row 3: tracker_name 'Ortiz Meter' differs from 'Ortiz-O-Meter' on row 1",
        "row 4: tracker_name is required on the first row of tracker 'lee-mayor'",
        "row 5: history ends at 'In the Works' but rating is 'Stalled'",
        "row 5: id 'bridge-repair' repeats row 1 (same tracker)",
        "row 6: is not a JSON object (each row must be one)",
    ]


def test_csv_rows_are_counted_from_the_first_promise_skipping_blank_lines() -> None:
    problems = _problems([(DATA / "bad_rows.csv").read_text()], FileFormat.CSV)
    assert problems == [
        f"row 1: rating 'Kinda Kept' is not one of: {RATINGS}",
        "row 2: rated_on '2025-02-30' is not a date (expected YYYY-MM-DD)",
        "row 3: source_url 'ftp://files.example.org/x' is not a web link; "
        "links must start with http:// or https://.",
        "row 3: id 'bridge-repair' repeats row 1 (same tracker)",
        "row 3: tracker_name 'Ortiz Meter' differs from 'Ortiz-O-Meter' on row 1",
        "row 4: title is required",
        "row 4: tracker_name is required on the first row of tracker 'lee-mayor'",
        "row 5: has 10 values but the header has 9 columns",
    ]


def test_valid_files_are_read_forgivingly() -> None:
    csv_file = parse((DATA / "valid.csv").read_text(), FileFormat.CSV)
    json_file = parse((DATA / "valid.json").read_text(), FileFormat.JSON)
    for parsed in (csv_file, json_file):
        assert [(t.slug, t.name) for t in parsed.trackers] == [
            ("ortiz-2024", "Ortiz-O-Meter"),
            ("lee-mayor", "Lee-Meter"),
        ]
        bridge, cafe, _ = parsed.records
        assert bridge.tags == ("transport", "infrastructure")
        assert cafe.rating is Rating.PROMISE_BROKEN  # "promise broken": case-insensitive
        assert cafe.title == "Cut the café and restaurant tax to 5%"
    assert json_file.trackers[0].subject == "Gov. Ana Ortiz"
    assert csv_file.records[0].description.endswith('"poor",\nwithin four years.')


def test_csv_header_may_omit_optional_columns_in_any_order() -> None:
    text = "rated_on,Rating,title,id,tracker_name,tracker\n2025-01-02,kept,T,x,Name,t\n"
    (record,) = parse(text, FileFormat.CSV).records
    assert (record.id, record.rating, record.tags, record.source_url) == (
        "x",
        Rating.PROMISE_KEPT,
        (),
        "",
    )


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("", FileFormat.CSV, "The file is empty."),
        (" \n\n", FileFormat.JSON, "The file is empty."),
        (
            "ortiz-2024,Ortiz-O-Meter,bridge,Bridges,,,Stalled,2025-01-01,\n",
            FileFormat.CSV,
            "The first line must be the CSV header: tracker, tracker_name, id, title, "
            "description, tags, rating, rated_on, source_url.",
        ),
        (
            "tracker;tracker_name;id;title;rating;rated_on\n",
            FileFormat.CSV,
            "The CSV header is separated by ';'; separate columns with commas.",
        ),
        (
            "tracker,tracker_name,id,titel,rating,rated_on\n",
            FileFormat.CSV,
            "Unknown column(s) in the CSV header: 'titel'.",
        ),
        (
            "tracker,tracker_name,id,title,rating\n",
            FileFormat.CSV,
            "The CSV header lacks required column(s): rated_on.",
        ),
        (
            "tracker,tracker_name,id,title,title,rating,rated_on\n",
            FileFormat.CSV,
            "Column(s) repeated in the CSV header: 'title'.",
        ),
        (
            "tracker,tracker_name,id,title,rating,rated_on\n",
            FileFormat.CSV,
            "The file lists no promises.",
        ),
        ("[]", FileFormat.JSON, "The file lists no promises."),
        (
            '[{"tracker": "t",}]',
            FileFormat.JSON,
            "The file is not valid JSON: Expecting property name enclosed in double quotes "
            "(line 1, column 18).",
        ),
        (
            '{"tracker": "t"}',
            FileFormat.JSON,
            "The JSON file must be a list of objects, one per promise.",
        ),
    ],
)
def test_malformed_files_are_refused_with_one_message(
    text: str, fmt: FileFormat, message: str
) -> None:
    with pytest.raises(MalformedTrackerFile) as caught:
        parse(text, fmt)
    assert str(caught.value) == message
    assert caught.value.problems == (message,)


def test_only_utf8_is_accepted_and_a_bom_is_dropped() -> None:
    with pytest.raises(MalformedTrackerFile, match=r"not UTF-8 text \(byte 0xe9 at offset 3\)"):
        decode("caf\u00e9".encode("latin-1"))
    assert decode("\ufefftracker".encode()) == "tracker"


def test_file_type_comes_from_the_extension() -> None:
    assert FileFormat.of(Path("Tracker.CSV")) is FileFormat.CSV
    with pytest.raises(MalformedTrackerFile, match=r"Unknown file type '\.xlsx'"):
        FileFormat.of(Path("tracker.xlsx"))


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_rendered_rows_parse_back_to_the_same_rows(fmt: FileFormat) -> None:
    original = parse((DATA / "valid.json").read_text(), FileFormat.JSON).records
    records = [
        record.model_copy(
            update={
                "tracker_name": {"ortiz-2024": "Ortiz-O-Meter"}.get(record.tracker, "Lee-Meter")
            }
        )
        for record in original
    ]
    text = render(records, fmt)
    again = parse(text, fmt).records
    if fmt is FileFormat.CSV:  # CSV carries the base columns only
        records = [
            record.model_copy(update={"evidence": (), "history": (), "tracker_subject": ""})
            for record in records
        ]
    assert list(again) == records
    assert render(again, fmt) == text


def test_json_export_rows_have_the_documented_keys() -> None:
    records = parse((DATA / "valid.json").read_text(), FileFormat.JSON).records
    first = json.loads(render([copy.copy(records[0])], FileFormat.JSON))[0]
    assert list(first) == [
        "tracker",
        "tracker_name",
        "tracker_subject",
        "id",
        "title",
        "description",
        "tags",
        "rating",
        "rated_on",
        "source_url",
        "evidence",
        "history",
    ]
    assert first["rating"] == "In the Works"
    assert first["history"][0] == {
        "from": "Not Yet Rated",
        "to": "In the Works",
        "effective_on": "2025-03-01",
        "rationale": "The bill was filed.",
    }


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (
            '=HYPERLINK("https://evil.example","click")',
            '\'=HYPERLINK("https://evil.example","click")',
        ),
        ("+1 555 0100", "'+1 555 0100"),
        ("-5% in a year", "'-5% in a year"),
        ("@mayor", "'@mayor"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("'=already quoted", "''=already quoted"),
        ("''+twice", "'''+twice"),
        ("'quoted but harmless", "'quoted but harmless"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text(
    cell: str, written: str
) -> None:
    assert csv_escape(cell) == written
    assert csv_unescape(written) == cell


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab ;\""), max_size=8))
def test_csv_escaping_is_reversed_exactly(cell: str) -> None:
    escaped = csv_escape(cell)
    assert csv_unescape(escaped) == cell
    assert escaped[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_csv_export_shows_formulas_as_text_and_imports_them_back_exactly() -> None:
    titles = ['=HYPERLINK("https://evil.example","click")', "'=1+1", "-40% emissions", "@ease"]
    base = parse((DATA / "valid.csv").read_text(), FileFormat.CSV).records[0]
    records = [
        base.model_copy(update={"id": f"row-{n}", "title": title, "description": title})
        for n, title in enumerate(titles)
    ]
    text = render(records, FileFormat.CSV)
    for line in text.splitlines()[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in line.split(","))
    assert '"\'=HYPERLINK(""https://evil.example"",""click"")"' in text
    assert "''=1+1" in text
    assert [record.title for record in parse(text, FileFormat.CSV).records] == titles
    assert json.loads(render(records, FileFormat.JSON))[0]["title"] == titles[0]
