"""Tracker import and export: validate the whole file, then upsert in one transaction;
export every tracker in the same format, round-trippable."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from promisebot.db.repositories.promises import TRACKER_FILE_SUBJECT
from promisebot.db.uow import Database, UnitOfWork, WriteConflict
from promisebot.domain import Clock, DomainError, utcnow
from promisebot.services.trackers.file_format import (
    FileFormat,
    MalformedTrackerFile,
    decode,
    parse,
    render,
)
from promisebot.services.trackers.records import EvidenceEntry, HistoryEntry, PromiseRecord
from promisebot.services.trackers.upsert import IMPORT_ACTOR, Upsert

DEMO_TRACKER = "demo_tracker.json"


class ImportConflict(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Someone changed the same trackers while this file was being imported; "
            "nothing was imported. Run the import again."
        )


@dataclass(frozen=True, slots=True)
class ImportReport:
    source: str
    trackers_created: int = 0
    trackers_updated: int = 0
    trackers_unchanged: int = 0
    promises_created: int = 0
    promises_updated: int = 0
    promises_unchanged: int = 0
    evidence_added: int = 0
    evidence_updated: int = 0
    rating_changes: int = 0

    @property
    def changed(self) -> bool:
        return any(
            (
                self.trackers_created,
                self.trackers_updated,
                self.promises_created,
                self.promises_updated,
                self.evidence_added,
                self.evidence_updated,
                self.rating_changes,
            )
        )

    def summary(self) -> str:
        promises = self.promises_created + self.promises_updated + self.promises_unchanged
        if not self.changed:
            return f"{self.source}: nothing to change; all {promises} promises are up to date."
        trackers = self.trackers_created + self.trackers_updated + self.trackers_unchanged
        return (
            f"{self.source}: {trackers} trackers ({self.trackers_created} new, "
            f"{self.trackers_updated} updated), {promises} promises ({self.promises_created} "
            f"new, {self.promises_updated} updated, {self.promises_unchanged} unchanged), "
            f"{self.evidence_added} evidence links added, {self.evidence_updated} updated, "
            f"{self.rating_changes} rating changes recorded."
        )


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: str
    trackers: int
    promises: int

    def summary(self) -> str:
        return f"Exported {self.promises} promises of {self.trackers} trackers to {self.path}."


class TrackerService:
    """Imports and exports tracker data files; every import is all-or-nothing and idempotent."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    def import_file(self, path: Path | str) -> ImportReport:
        """Import a .csv or .json file; raises TrackerFileError listing every problem."""
        path = Path(path)
        fmt = FileFormat.of(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise MalformedTrackerFile(f"Cannot read {path}: {error.strerror}.") from None
        return self.import_text(decode(data), fmt, source=path.name)

    def import_text(self, text: str, fmt: FileFormat | str, *, source: str = "") -> ImportReport:
        """Import already-read file text; nothing is written unless every row is valid."""
        tracker_file = parse(text, FileFormat(fmt))
        now = self._clock()
        source = source or f"{FileFormat(fmt)} text"
        try:
            for attempt in self._db.attempts():
                with attempt as uow:
                    counts = Upsert(uow, now).run(tracker_file)
                    report = ImportReport(source=source, **counts)
                    if report.changed:
                        uow.audit.record(
                            actor=IMPORT_ACTOR,
                            action="trackers.imported",
                            subject_type=TRACKER_FILE_SUBJECT,
                            subject_id=source[:64],
                            at=now,
                            **counts,
                        )
                    uow.commit()
        except WriteConflict:
            raise ImportConflict() from None
        return report

    def export(self, fmt: FileFormat | str = FileFormat.JSON) -> str:
        """Every tracker as file text, ordered by (tracker slug, promise id)."""
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                records = _export_records(uow)
        return render(records, FileFormat(fmt))

    def export_to(self, path: Path | str, fmt: FileFormat | str = FileFormat.JSON) -> ExportReport:
        """Write the export to `path`, replacing it only once the whole text is written."""
        path = Path(path)
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                records = _export_records(uow)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(render(records, FileFormat(fmt)), encoding="utf-8", newline="")
        os.replace(partial, path)
        trackers = len({record.tracker for record in records})
        return ExportReport(str(path), trackers=trackers, promises=len(records))


def load_demo(db: Database, clock: Clock = utcnow) -> ImportReport:
    """Import the bundled demo tracker (idempotent: loading it twice changes nothing)."""
    text = resources.files("promisebot").joinpath("data", DEMO_TRACKER).read_text("utf-8")
    return TrackerService(db, clock).import_text(text, FileFormat.JSON, source=DEMO_TRACKER)


def _export_records(uow: UnitOfWork) -> list[PromiseRecord]:
    trackers = {tracker.id: tracker for tracker in uow.promises.all_trackers()}
    evidence: defaultdict[int, list[EvidenceEntry]] = defaultdict(list)
    for item in uow.trackers.all_evidence():
        evidence[item.promise_id].append(
            EvidenceEntry.model_construct(
                url=item.url,
                title=item.title,
                publisher=item.publisher,
                published_on=item.published_on,
                note=item.note,
            )
        )
    history: defaultdict[int, list[HistoryEntry]] = defaultdict(list)
    for change in uow.trackers.all_rating_changes():
        history[change.promise_id].append(
            HistoryEntry.model_construct(
                from_rating=change.from_rating,
                to_rating=change.to_rating,
                effective_on=change.effective_at.date(),
                rationale=change.rationale,
            )
        )
    aliases: defaultdict[int, list[str]] = defaultdict(list)
    for alias in uow.aliases.all_given():
        aliases[alias.promise_id].append(alias.alias)
    records = []
    for promise in uow.trackers.all_promises():
        tracker = trackers[promise.tracker_id]
        records.append(
            PromiseRecord.model_construct(
                tracker=tracker.slug,
                tracker_name=tracker.name,
                tracker_subject=tracker.subject,
                id=promise.external_id,
                title=promise.title,
                description=promise.description,
                tags=tuple(promise.tags),
                aliases=tuple(aliases[promise.id]),
                rating=promise.current_rating,
                rated_on=promise.rated_at.date(),
                source_url=promise.source_url,
                due_on=promise.due_on,
                due_label=promise.due_label,
                evidence=tuple(evidence[promise.id]),
                history=tuple(history[promise.id]),
            )
        )
    # Sorted here, not in SQL: PostgreSQL collations order text differently from SQLite.
    records.sort(key=lambda record: (record.tracker, record.id))
    return records
