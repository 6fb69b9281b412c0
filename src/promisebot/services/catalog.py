"""What lookups answer from memory: the search index, tracker names and every promise's
rating, reloaded only when the catalog version row (one primary-key read) says they changed."""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from promisebot.db.repositories.catalog import Versions
from promisebot.db.uow import UnitOfWork
from promisebot.domain import Rating
from promisebot.search import SearchDoc, SearchIndex

_RATINGS = tuple(Rating)
_CODES = {rating: code for code, rating in enumerate(_RATINGS)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Ratings:
    """Each promise's rating and the moment it took effect, by promise id, in flat arrays."""

    __slots__ = ("_codes", "_ids", "_since")

    def __init__(self) -> None:
        self._ids = array("q")
        self._codes = array("B")
        self._since = array("q")  # microseconds since the epoch, exactly

    def add(self, promise_id: int, rating: Rating, since: datetime) -> None:
        """Ids must come in ascending order."""
        self._ids.append(promise_id)
        self._codes.append(_CODES[rating])
        self._since.append((since - _EPOCH) // _MICROSECOND)

    def get(self, promise_id: int) -> tuple[Rating, datetime] | None:
        at = bisect_left(self._ids, promise_id)
        if at == len(self._ids) or self._ids[at] != promise_id:
            return None
        return _RATINGS[self._codes[at]], _EPOCH + self._since[at] * _MICROSECOND


@dataclass(frozen=True, slots=True)
class Catalog:
    versions: Versions
    index: SearchIndex
    tracker_names: dict[str, str]
    ratings: Ratings


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
                catalog = replace(catalog, versions=versions, ratings=_load_ratings(uow))
            self._catalog = catalog
            return catalog


def _load(uow: UnitOfWork, versions: Versions) -> Catalog:
    # Rows read after the version are at least as new as it (one snapshot on SQLite; later
    # commits only on PostgreSQL), so the catalog is never older than the version it carries.
    ratings = Ratings()

    def docs() -> Iterator[SearchDoc]:
        for (
            key,
            tracker,
            external_id,
            title,
            description,
            tags,
            rating,
            since,
        ) in uow.promises.catalog_rows():
            ratings.add(key, rating, since)
            yield SearchDoc(key, tracker, external_id, title, description, tuple(tags or ()))

    index = SearchIndex(docs())
    return Catalog(versions, index, uow.promises.tracker_names(), ratings)


def _load_ratings(uow: UnitOfWork) -> Ratings:
    ratings = Ratings()
    for promise_id, rating, since in uow.promises.rating_rows():
        ratings.add(promise_id, rating, since)
    return ratings
