"""The write half of a tracker import: compare each validated row with what is stored and
change only what differs, in bulk (a few queries per import, never one per row)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

from promisebot.db.models import Evidence, Promise, PromiseAlias, Tracker
from promisebot.db.uow import UnitOfWork
from promisebot.search import query_key
from promisebot.services.trackers.file_format import InvalidTrackerRows, TrackerFile
from promisebot.services.trackers.records import EvidenceEntry, HistoryEntry, PromiseRecord

IMPORT_ACTOR = "import"
IMPORT_RATIONALE = "Rating updated by a tracker file import."
# The promise fields lookups search; a change to any of them bumps the catalog's search version.
SEARCHABLE = ("title", "description", "tags")
# What pick-lists show besides the title; a change bumps the catalog's standings version.
STANDING = ("current_rating", "rated_at", "due_on", "due_label")
COUNTS = (
    "trackers_created",
    "trackers_updated",
    "trackers_unchanged",
    "promises_created",
    "promises_updated",
    "promises_unchanged",
    "evidence_added",
    "evidence_updated",
    "rating_changes",
)


def day_timestamp(day: date) -> datetime:
    """A file's date as a timestamp: noon UTC, so export gives the same date back and the
    date reads the same in every newsroom time zone from UTC-11 to UTC+11."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


class Upsert:
    """The write half of an import: compare with what is stored, change only what differs.

    New rows go in as bulk INSERTs (ids come back in parameter order); changes to stored
    rows go through the ORM, which writes only the attributes that changed.
    """

    def __init__(self, uow: UnitOfWork, now: datetime) -> None:
        self.uow = uow
        self.now = now
        self.counts: Counter[str] = Counter()
        self.new_promises: list[dict[str, Any]] = []
        self.new_records: list[PromiseRecord] = []
        self.evidence_rows: list[dict[str, Any]] = []
        self.change_rows: list[dict[str, Any]] = []
        self.text_changed = False
        self.standings_changed = False

    def run(self, tracker_file: TrackerFile) -> dict[str, int]:
        trackers = self._trackers(tracker_file)
        stored_ids = [tracker.id for tracker in trackers.values() if tracker.id is not None]
        self.uow.flush()
        existing = {
            (promise.tracker_id, promise.external_id): promise
            for promise in self.uow.trackers.promises_of(stored_ids)
        }
        evidence = {
            (item.promise_id, item.url): item for item in self.uow.trackers.evidence_of(stored_ids)
        }
        unchanged: set[int] = set()
        for record in tracker_file.records:
            tracker = trackers[record.tracker]
            promise = existing.get((tracker.id, record.id))
            if promise is None:
                self._create(tracker, record)
            elif not self._update(promise, record, evidence):
                unchanged.add(promise.id)
        new_ids = self._insert_new_rows()
        promises = [
            (promise.id, promise.tracker_id, promise.external_id) for promise in existing.values()
        ] + [
            (promise_id, trackers[record.tracker].id, record.id)
            for promise_id, record in zip(new_ids, self.new_records, strict=True)
        ]
        aliases_changed = AliasSync(self.uow, self.now, trackers, promises).run(
            tracker_file.records, stored_ids
        )
        # A promise whose aliases alone changed was counted as unchanged.
        moved = len(aliases_changed & unchanged)
        self.counts["promises_unchanged"] -= moved
        self.counts["promises_updated"] += moved
        # Tracker names show in pick-lists, which are rendered from the in-memory catalog.
        renamed = ("promises_created", "trackers_created", "trackers_updated")
        if self.text_changed or aliases_changed or any(self.counts[name] for name in renamed):
            self.uow.catalog.touch_search()
        if self.counts["promises_created"] or self.standings_changed:
            self.uow.catalog.touch_standings()
        self.uow.flush()
        return {name: self.counts[name] for name in COUNTS}

    def _insert_new_rows(self) -> list[int]:
        ids = self.uow.trackers.insert_promises(self.new_promises)
        for promise_id, record in zip(ids, self.new_records, strict=True):
            self.evidence_rows.extend(self._evidence(e, promise_id) for e in record.evidence)
            self.change_rows.extend(self._rating_change(s, promise_id) for s in record.history)
        self.uow.trackers.insert_evidence(self.evidence_rows)
        self.uow.trackers.insert_rating_changes(self.change_rows)
        return ids

    def _trackers(self, tracker_file: TrackerFile) -> dict[str, Tracker]:
        slugs = [info.slug for info in tracker_file.trackers]
        trackers = self.uow.trackers.trackers_by_slug(slugs)
        created: list[Tracker] = []
        for info in tracker_file.trackers:
            tracker = trackers.get(info.slug)
            if tracker is None:
                tracker = Tracker(
                    slug=info.slug, name=info.name, subject=info.subject, created_at=self.now
                )
                created.append(tracker)
                trackers[info.slug] = tracker
                self.counts["trackers_created"] += 1
            elif tracker.name != info.name or (info.subject and tracker.subject != info.subject):
                tracker.name = info.name
                tracker.subject = info.subject or tracker.subject
                self.counts["trackers_updated"] += 1
            else:
                self.counts["trackers_unchanged"] += 1
        self.uow.add_all(created)
        return trackers

    def _create(self, tracker: Tracker, record: PromiseRecord) -> None:
        rated_at = day_timestamp(record.rated_on)
        dated = [
            day_timestamp(entry.published_on) for entry in record.evidence if entry.published_on
        ]
        self.new_promises.append(
            {
                "tracker_id": tracker.id,
                "external_id": record.id,
                "title": record.title,
                "description": record.description,
                "tags": list(record.tags),
                "current_rating": record.rating,
                "rated_at": rated_at,
                "last_reviewed_at": max([rated_at, *dated]),
                "snoozed_until": None,
                "source_url": record.source_url,
                "due_on": record.due_on,
                "due_label": record.due_label,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        self.new_records.append(record)
        self.counts["promises_created"] += 1
        self.counts["evidence_added"] += len(record.evidence)
        self.counts["rating_changes"] += len(record.history)

    def _update(
        self,
        promise: Promise,
        record: PromiseRecord,
        stored_evidence: dict[tuple[int, str], Evidence],
    ) -> bool:
        """Blank optional fields in the file keep what is stored; a new rating is recorded.
        A deadline is one thing: a file's due_on comes with its due_label, blank or not.
        True when anything changed."""
        fields: dict[str, object] = {"title": record.title}
        if record.due_on:
            fields["due_on"] = record.due_on
            fields["due_label"] = record.due_label
        if record.description:
            fields["description"] = record.description
        if record.tags:
            fields["tags"] = list(record.tags)
        if record.source_url:
            fields["source_url"] = record.source_url
        rated_at = day_timestamp(record.rated_on)
        # Stored times may carry a time of day (proposals); the file only knows the date.
        if promise.rated_at.date() != record.rated_on:
            fields["rated_at"] = rated_at
        reviewed = promise.last_reviewed_at
        if promise.current_rating is not record.rating:
            self.change_rows.append(
                self._rating_change(_change_from_file(promise, record), promise.id)
            )
            self.counts["rating_changes"] += 1
            fields["current_rating"] = record.rating
            fields["rated_at"] = rated_at
            reviewed = max(reviewed, rated_at)
        evidence_changed = False
        for entry in record.evidence:
            stored = stored_evidence.get((promise.id, entry.url))
            if stored is None:
                self.evidence_rows.append(self._evidence(entry, promise.id))
                self.counts["evidence_added"] += 1
                evidence_changed = True
                if entry.published_on:
                    reviewed = max(reviewed, day_timestamp(entry.published_on))
            elif _update_evidence(stored, entry):
                self.counts["evidence_updated"] += 1
                evidence_changed = True
        fields["last_reviewed_at"] = reviewed
        changed = {name: value for name, value in fields.items() if getattr(promise, name) != value}
        for name, value in changed.items():
            setattr(promise, name, value)
        if changed:
            promise.updated_at = self.now
        self.text_changed |= not changed.keys().isdisjoint(SEARCHABLE)
        self.standings_changed |= not changed.keys().isdisjoint(STANDING)
        key = "promises_updated" if changed or evidence_changed else "promises_unchanged"
        self.counts[key] += 1
        return bool(changed) or evidence_changed

    def _evidence(self, entry: EvidenceEntry, promise_id: int) -> dict[str, Any]:
        return {
            "promise_id": promise_id,
            "url": entry.url,
            "title": entry.title,
            "publisher": entry.publisher,
            "published_on": entry.published_on,
            "note": entry.note,
            "added_by": IMPORT_ACTOR,
            "added_at": self.now,
        }

    def _rating_change(self, step: HistoryEntry, promise_id: int) -> dict[str, Any]:
        return {
            "promise_id": promise_id,
            "from_rating": step.from_rating,
            "to_rating": step.to_rating,
            "effective_at": day_timestamp(step.effective_on),
            "rationale": step.rationale,
            "proposed_by": IMPORT_ACTOR,
            "approved_by": [],
            "proposal_id": None,
            "recorded_at": self.now,
        }


def _change_from_file(promise: Promise, record: PromiseRecord) -> HistoryEntry:
    """The change to record for an existing promise; the file's own last step gives the
    rationale when it describes exactly this change."""
    last = record.history[-1] if record.history else None
    matches = last is not None and last.from_rating is promise.current_rating
    return HistoryEntry.model_construct(
        from_rating=promise.current_rating,
        to_rating=record.rating,
        effective_on=record.rated_on,
        rationale=last.rationale if last is not None and matches else IMPORT_RATIONALE,
    )


def _update_evidence(stored: Evidence, entry: EvidenceEntry) -> bool:
    """Copy the file's non-blank fields onto stored evidence; True when anything changed."""
    fields = {
        "title": entry.title,
        "publisher": entry.publisher,
        "published_on": entry.published_on,
        "note": entry.note,
    }
    changed = False
    for name, value in fields.items():
        if value and getattr(stored, name) != value:
            setattr(stored, name, value)
            changed = True
    return changed


class AliasSync:
    """The file's aliases onto its promises: a row with aliases replaces the aliases it was
    given before (a learned alias it names becomes a given one); a row without keeps them.
    An alias another promise of the tracker keeps refuses the whole import, naming it."""

    def __init__(
        self,
        uow: UnitOfWork,
        now: datetime,
        trackers: dict[str, Tracker],
        promises: list[tuple[int, int, str]],
    ) -> None:
        self.uow = uow
        self.now = now
        self.trackers = trackers
        # (tracker id, external id) → promise id, and promise id → (tracker id, external id)
        self.ids = {(tracker_id, external_id): pid for pid, tracker_id, external_id in promises}
        self.keys = {pid: (tracker_id, external_id) for pid, tracker_id, external_id in promises}

    def run(self, records: tuple[PromiseRecord, ...], stored_tracker_ids: list[int]) -> set[int]:
        """Apply the file's aliases; the ids of the promises whose aliases changed."""
        stored: defaultdict[int, list[PromiseAlias]] = defaultdict(list)
        holders: dict[tuple[int, str], PromiseAlias | int] = {}
        for row in self.uow.aliases.of_trackers(stored_tracker_ids):
            stored[row.promise_id].append(row)
            holders[(row.tracker_id, row.alias_key)] = row
        plans: list[tuple[int, int, list[str]]] = []
        removed: list[int] = []
        for number, record in enumerate(records, start=1):
            if not record.aliases:
                continue
            tracker_id = self.trackers[record.tracker].id
            promise_id = self.ids[(tracker_id, record.id)]
            rows = stored[promise_id]
            given = {row.alias for row in rows if not row.learned}
            if given == set(record.aliases):
                continue
            wanted = {query_key(alias) for alias in record.aliases}
            for row in rows:
                if (not row.learned and row.alias not in record.aliases) or (
                    row.learned and row.alias_key in wanted
                ):
                    removed.append(row.id)
                    del holders[(row.tracker_id, row.alias_key)]
            plans.append((number, promise_id, [a for a in record.aliases if a not in given]))
        problems: list[str] = []
        new_rows: list[dict[str, object]] = []
        for number, promise_id, added in plans:
            tracker_id = self.keys[promise_id][0]
            for alias in added:
                key = query_key(alias)
                holder = holders.setdefault((tracker_id, key), promise_id)
                holder_id = holder if isinstance(holder, int) else holder.promise_id
                if holder_id != promise_id:
                    problems.append(self._clash(number, alias, holder))
                    continue
                new_rows.append(
                    {
                        "promise_id": promise_id,
                        "tracker_id": tracker_id,
                        "alias": alias,
                        "alias_key": key,
                        "learned": False,
                        "added_by": IMPORT_ACTOR,
                        "added_at": self.now,
                    }
                )
        if problems:
            raise InvalidTrackerRows(problems)
        self.uow.aliases.remove(removed)
        self.uow.aliases.insert_many(new_rows)
        return {promise_id for _, promise_id, _ in plans}

    def _clash(self, number: int, alias: str, holder: PromiseAlias | int) -> str:
        if isinstance(holder, int):
            return (
                f"row {number}: aliases {alias!r} is already an alias of {self.keys[holder][1]!r}"
            )
        kind = "a learned alias" if holder.learned else "an alias"
        return (
            f"row {number}: aliases {alias!r} is already {kind} of "
            f"{self.keys[holder.promise_id][1]!r}; remove it there first"
        )
