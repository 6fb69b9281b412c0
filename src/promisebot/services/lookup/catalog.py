"""What lookups answer from memory: the search index (aliases and learned queries included),
tracker names and every promise's standing (rating, deadline), reloaded only when the
catalog version row (one primary-key read) says they changed."""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from promisebot.db.repositories.catalog import Versions
from promisebot.db.uow import UnitOfWork
from promisebot.domain import Rating
from promisebot.search import SearchDoc, SearchIndex

_RATINGS = tuple(Rating)
_CODES = {rating: code for code, rating in enumerate(_RATINGS)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


Standing = tuple[Rating, datetime, date | None, str]  # rating, since, due_on, due_label


class Standings:
    """Each promise's rating, the moment it took effect and its deadline, by promise id, in
    flat arrays (deadline labels, which few promises have, in a dict)."""

    __slots__ = ("_codes", "_due", "_ids", "_labels", "_since")

    def __init__(self) -> None:
        self._ids = array("q")
        self._codes = array("B")
        self._since = array("q")  # microseconds since the epoch, exactly
        self._due = array("i")  # date ordinal, 0 for none
        self._labels: dict[int, str] = {}

    def add(
        self, promise_id: int, rating: Rating, since: datetime, due_on: date | None, label: str
    ) -> None:
        """Ids must come in ascending order."""
        self._ids.append(promise_id)
        self._codes.append(_CODES[rating])
        self._since.append((since - _EPOCH) // _MICROSECOND)
        self._due.append(due_on.toordinal() if due_on else 0)
        if label:
            self._labels[promise_id] = label

    def get(self, promise_id: int) -> Standing | None:
        at = bisect_left(self._ids, promise_id)
        if at == len(self._ids) or self._ids[at] != promise_id:
            return None
        due = self._due[at]
        return (
            _RATINGS[self._codes[at]],
            _EPOCH + self._since[at] * _MICROSECOND,
            date.fromordinal(due) if due else None,
            self._labels.get(promise_id, ""),
        )


@dataclass(frozen=True, slots=True)
class Catalog:
    versions: Versions
    index: SearchIndex
    tracker_names: dict[str, str]
    standings: Standings
    # Each promise's aliases as its card shows them: given ones, then learned ones.
    aliases: dict[int, tuple[str, ...]]


class CatalogCache:
    """The current `Catalog` of this process; `current(uow)` costs one primary-key read when
    nothing changed, and is correct across replicas because every writer bumps the version
    row in its own transaction."""

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> Catalog | None:
        """The catalog as last loaded, without checking that it is current."""
        return self._catalog

    def current(self, uow: UnitOfWork) -> Catalog:
        versions = uow.catalog.versions()
        catalog = self._catalog
        if catalog is not None and catalog.versions == versions:
            return catalog
        # One rebuild at a time; whoever waited finds it done.
        with self._lock:
            catalog = self._catalog
            if catalog is None or catalog.versions.search != versions.search:
                catalog = _load(uow, versions)
            elif catalog.versions != versions:
                catalog = replace(catalog, versions=versions, standings=_load_standings(uow))
            self._catalog = catalog
            return catalog


def _load(uow: UnitOfWork, versions: Versions) -> Catalog:
    # Rows read after the version are at least as new as it (one snapshot on SQLite; later
    # commits only on PostgreSQL), so the catalog is never older than the version it carries.
    standings = Standings()
    # The aliases editors gave, and the queries promises learned from picks (few of each).
    given: dict[int, list[str]] = {}
    learned: dict[int, list[str]] = {}
    for promise_id, alias, key, is_learned in uow.aliases.search_rows():
        if is_learned:
            learned.setdefault(promise_id, []).append(key)
        else:
            given.setdefault(promise_id, []).append(alias)

    def docs() -> Iterator[SearchDoc]:
        for row in uow.promises.catalog_rows():
            key, tracker, external_id, title, description, tags, rating, since, due, label = row
            standings.add(key, rating, since, due, label)
            yield SearchDoc(
                key,
                tracker,
                external_id,
                title,
                description,
                tuple(tags or ()),
                tuple(given.get(key, ())),
                tuple(learned.get(key, ())),
            )

    index = SearchIndex(docs())
    aliases = {
        key: (*given.get(key, ()), *learned.get(key, ())) for key in given.keys() | learned.keys()
    }
    return Catalog(versions, index, uow.promises.tracker_names(), standings, aliases)


def _load_standings(uow: UnitOfWork) -> Standings:
    standings = Standings()
    for promise_id, rating, since, due, label in uow.promises.standing_rows():
        standings.add(promise_id, rating, since, due, label)
    return standings
