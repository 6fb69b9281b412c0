"""The tracker data file (CSV or JSON, described in README.md): decoding, row validation
with row-numbered messages, and rendering for export. Pure: no database, no clock."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from promisebot.domain import DomainError
from promisebot.search import query_key
from promisebot.services.trackers.records import PromiseRecord, describe_row_error

BASE_COLUMNS = (
    "tracker", "tracker_name", "id", "title", "description", "tags", "rating", "rated_on",
    "source_url",
)  # fmt: skip
DEADLINE_COLUMNS = ("due_on", "due_label")  # optional; files without them import unchanged
CSV_COLUMNS = (*BASE_COLUMNS, "tracker_subject", *DEADLINE_COLUMNS, "aliases")
REQUIRED_COLUMNS = ("tracker", "tracker_name", "id", "title", "rating", "rated_on")

# A spreadsheet runs a cell starting with one of = + - @ tab CR as a formula (OWASP "CSV
# injection"); a leading ' makes it show as text. Cells that already start with quotes before
# such a character get one more, so `csv_unescape` can take exactly one off and round trips
# stay exact.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def csv_escape(cell: str) -> str:
    return f"'{cell}" if _FORMULA_START.match(cell) else cell


def csv_unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _FORMULA_START.match(cell, 1) else cell


class FileFormat(StrEnum):
    CSV = "csv"
    JSON = "json"

    @classmethod
    def of(cls, path: Path) -> FileFormat:
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in cls._value2member_map_:
            raise MalformedTrackerFile(
                f"Unknown file type '{path.suffix}'; use a .csv or .json file."
            )
        return cls(suffix)


class TrackerFileError(DomainError):
    """The file was refused; `problems` lists every reason, one line each."""

    def __init__(self, problems: Sequence[str], summary: str) -> None:
        self.problems = tuple(problems)
        super().__init__(summary)


class MalformedTrackerFile(TrackerFileError):
    """The file cannot be read as a tracker file at all (encoding, header, not JSON, empty)."""

    def __init__(self, problem: str) -> None:
        super().__init__([problem], problem)


class InvalidTrackerRows(TrackerFileError):
    """Rows broke the rules; each problem reads `row N: <field> <problem>` (rows 1-based)."""

    def __init__(self, problems: Sequence[str]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            problems,
            f"{count} {noun} in the file (row 1 is the first promise, after any CSV header); "
            "nothing was imported.",
        )


@dataclass(frozen=True, slots=True)
class TrackerInfo:
    slug: str
    name: str
    subject: str  # "" when the file does not say


@dataclass(frozen=True, slots=True)
class TrackerFile:
    """A fully validated file: its trackers (first-seen order) and its promise rows."""

    trackers: tuple[TrackerInfo, ...]
    records: tuple[PromiseRecord, ...]


def decode(data: bytes) -> str:
    """UTF-8 text (a leading BOM is dropped); anything else is refused with one message."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedTrackerFile(
            f"The file is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); save it as UTF-8 and try again."
        ) from None


def parse(text: str, fmt: FileFormat) -> TrackerFile:
    """Validate every row, then the rules across rows; raises with all problems at once."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise MalformedTrackerFile("The file is empty.")
    raw_rows = _csv_rows(text) if fmt is FileFormat.CSV else _json_rows(text)
    if not raw_rows:
        raise MalformedTrackerFile("The file lists no promises.")
    problems: list[tuple[int, str]] = []
    records: list[PromiseRecord] = []
    numbers: list[int] = []
    keys: list[_RowKey] = []
    for number, raw in enumerate(raw_rows, start=1):
        if isinstance(raw, str):
            problems.append((number, raw))
            continue
        keys.append(_RowKey.of(number, raw))
        try:
            record = PromiseRecord.model_validate(raw)
        except ValidationError as error:
            problems.extend((number, describe_row_error(detail)) for detail in error.errors())
            continue
        records.append(record)
        numbers.append(number)
        problems.extend((number, problem) for problem in _row_problems(record))
    trackers, across = _check_across_rows(keys)
    problems.extend(across)
    problems.extend(_alias_clashes(zip(numbers, records, strict=True)))
    if problems:
        problems.sort(key=lambda item: item[0])
        raise InvalidTrackerRows([f"row {number}: {problem}" for number, problem in problems])
    return TrackerFile(tuple(trackers), tuple(records))


def _csv_rows(text: str) -> list[dict[str, str] | str]:
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise MalformedTrackerFile(f"The file is not readable as CSV: {error}.") from None
    header = [cell.strip().lower() for cell in rows[0]]
    _check_header(header)
    result: list[dict[str, str] | str] = []
    for cells in rows[1:]:
        extra = cells[len(header) :]
        if any(cell.strip() for cell in extra):
            result.append(f"has {len(cells)} values but the header has {len(header)} columns")
            continue
        padded = [csv_unescape(cell) for cell in cells] + [""] * (len(header) - len(cells))
        result.append(dict(zip(header, padded, strict=False)))
    return result


def _check_header(header: list[str]) -> None:
    expected = ", ".join(BASE_COLUMNS)
    unknown = [cell for cell in header if cell not in CSV_COLUMNS]
    if len(header) == 1 and ";" in header[0]:
        raise MalformedTrackerFile(
            "The CSV header is separated by ';'; separate columns with commas."
        )
    if len(unknown) == len(header):
        raise MalformedTrackerFile(f"The first line must be the CSV header: {expected}.")
    if unknown:
        names = ", ".join(repr(cell) for cell in unknown)
        raise MalformedTrackerFile(f"Unknown column(s) in the CSV header: {names}.")
    repeated = sorted({cell for cell in header if header.count(cell) > 1})
    if repeated:
        names = ", ".join(repr(cell) for cell in repeated)
        raise MalformedTrackerFile(f"Column(s) repeated in the CSV header: {names}.")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        names = ", ".join(missing)
        raise MalformedTrackerFile(f"The CSV header lacks required column(s): {names}.")


def _json_rows(text: str) -> list[dict[str, Any] | str]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedTrackerFile(
            f"The file is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    if not isinstance(document, list):
        raise MalformedTrackerFile("The JSON file must be a list of objects, one per promise.")
    return [
        item if isinstance(item, dict) else "is not a JSON object (each row must be one)"
        for item in document
    ]


@dataclass(frozen=True, slots=True)
class _RowKey:
    """What the rules across rows need, read even from rows that fail validation, so one
    run reports every problem."""

    number: int
    tracker: str
    id: str
    name: str
    subject: str

    @classmethod
    def of(cls, number: int, raw: Mapping[str, object]) -> _RowKey:
        def text(key: str) -> str:
            value = raw.get(key)
            return value.strip() if isinstance(value, str) else ""

        fields = ("tracker", "id", "tracker_name", "tracker_subject")
        return cls(number, *(text(field) for field in fields))


def _check_across_rows(keys: list[_RowKey]) -> tuple[list[TrackerInfo], list[tuple[int, str]]]:
    """Duplicate (tracker, id) keys; a name on each tracker's first row; names that disagree."""
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, tuple[int, str]] = {}
    subjects: dict[str, tuple[int, str]] = {}
    order: list[str] = []
    for key in keys:
        if not key.tracker:
            continue
        if key.id and (key.tracker, key.id) in seen:
            first = seen[(key.tracker, key.id)]
            problems.append((key.number, f"id {key.id!r} repeats row {first} (same tracker)"))
        seen.setdefault((key.tracker, key.id), key.number)
        if key.tracker not in order:
            order.append(key.tracker)
            if not key.name:
                problems.append(
                    (
                        key.number,
                        f"tracker_name is required on the first row of tracker {key.tracker!r}",
                    )
                )
        for field, value, first_seen in (
            ("tracker_name", key.name, names),
            ("tracker_subject", key.subject, subjects),
        ):
            if not value:
                continue
            row, expected = first_seen.setdefault(key.tracker, (key.number, value))
            if value != expected:
                problem = f"{field} {value!r} differs from {expected!r} on row {row}"
                problems.append((key.number, problem))
    trackers = [
        TrackerInfo(slug, names.get(slug, (0, ""))[1], subjects.get(slug, (0, ""))[1])
        for slug in order
    ]
    return trackers, problems


def _alias_clashes(rows: Iterable[tuple[int, PromiseRecord]]) -> list[tuple[int, str]]:
    """An alias names one promise per tracker: a second promise with it is a problem."""
    problems: list[tuple[int, str]] = []
    first: dict[tuple[str, str], tuple[int, str]] = {}
    for number, record in rows:
        for alias in record.aliases:
            row, external_id = first.setdefault(
                (record.tracker, query_key(alias)), (number, record.id)
            )
            if row != number:
                problems.append(
                    (
                        number,
                        f"aliases {alias!r} is already an alias of {external_id!r} on row {row}",
                    )
                )
    return problems


def _row_problems(record: PromiseRecord) -> list[str]:
    problems = []
    urls: dict[str, int] = {}
    for index, entry in enumerate(record.evidence, start=1):
        if entry.url in urls:
            problems.append(f"evidence #{index} url repeats evidence #{urls[entry.url]}")
        urls.setdefault(entry.url, index)
    for index in range(1, len(record.history)):
        before, step = record.history[index - 1], record.history[index]
        if step.from_rating is not before.to_rating:
            problems.append(
                f"history #{index + 1} from {step.from_rating.label!r} does not follow "
                f"history #{index}, which ends at {before.to_rating.label!r}"
            )
    if record.due_label and record.due_on is None:
        problems.append("due_label needs a due_on (the deadline's date)")
    if record.history and record.history[-1].to_rating is not record.rating:
        problems.append(
            f"history ends at {record.history[-1].to_rating.label!r} "
            f"but rating is {record.rating.label!r}"
        )
    return problems


def render(records: Sequence[PromiseRecord], fmt: FileFormat) -> str:
    """The file text for `records` (already in export order); `parse` reads it back.

    CSV carries the base columns and the deadline's, and aliases when any promise has
    some; JSON adds tracker_subject and the deadline (when set), aliases (when any),
    evidence and history.
    """
    return _render_csv(records) if fmt is FileFormat.CSV else _render_json(records)


def _render_csv(records: Sequence[PromiseRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with_aliases = any(record.aliases for record in records)
    header = (*BASE_COLUMNS, *DEADLINE_COLUMNS)
    writer.writerow((*header, "aliases") if with_aliases else header)
    for record in records:
        cells = [
            record.tracker,
            record.tracker_name,
            record.id,
            record.title,
            record.description,
            ";".join(record.tags),
            record.rating.label,
            record.rated_on.isoformat(),
            record.source_url,
            record.due_on.isoformat() if record.due_on else "",
            record.due_label,
        ]
        if with_aliases:
            cells.append(";".join(record.aliases))
        writer.writerow(csv_escape(cell) for cell in cells)
    return buffer.getvalue()


def _render_json(records: Sequence[PromiseRecord]) -> str:
    rows = []
    for record in records:
        row: dict[str, Any] = {"tracker": record.tracker, "tracker_name": record.tracker_name}
        if record.tracker_subject:
            row["tracker_subject"] = record.tracker_subject
        row.update(
            id=record.id,
            title=record.title,
            description=record.description,
            tags=list(record.tags),
            **({"aliases": list(record.aliases)} if record.aliases else {}),
            rating=record.rating.label,
            rated_on=record.rated_on.isoformat(),
            source_url=record.source_url,
        )
        if record.due_on:
            row["due_on"] = record.due_on.isoformat()
            if record.due_label:
                row["due_label"] = record.due_label
        row.update(
            evidence=[
                {
                    "url": entry.url,
                    "title": entry.title,
                    "publisher": entry.publisher,
                    "published_on": entry.published_on and entry.published_on.isoformat(),
                    "note": entry.note,
                }
                for entry in record.evidence
            ],
            history=[
                {
                    "from": entry.from_rating.label,
                    "to": entry.to_rating.label,
                    "effective_on": entry.effective_on.isoformat(),
                    "rationale": entry.rationale,
                }
                for entry in record.history
            ],
        )
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
