"""Engines and units of work: one transaction per service call, the only place commits happen.

SQLite write transactions start with BEGIN IMMEDIATE so that concurrent writers queue on
the database lock instead of failing mid-transaction; PostgreSQL uses row locks. A unit of
work that fails on a transient error is re-run whole (`Database.attempts`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import count
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from promisebot.db.models import Base
from promisebot.db.repositories.aliases import AliasRepository
from promisebot.db.repositories.audit import AuditLog
from promisebot.db.repositories.catalog import CatalogRepository
from promisebot.db.repositories.digests import DigestRepository
from promisebot.db.repositories.events import ProcessedEvents
from promisebot.db.repositories.evidence import EvidenceRepository
from promisebot.db.repositories.follows import FollowRepository
from promisebot.db.repositories.home import DashboardQueries
from promisebot.db.repositories.outbox import OutboxRepository
from promisebot.db.repositories.promises import PromiseRepository
from promisebot.db.repositories.proposals import ProposalRepository
from promisebot.db.repositories.schedules import ScheduleRepository
from promisebot.db.repositories.trackers import TrackerRepository
from promisebot.db.retry import RetryPolicy, describe, is_transient
from promisebot.db.urls import normalize_url

log = logging.getLogger(__name__)

_READ_ONLY = "promisebot_read_only"


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size, pool_timeout=10
    )


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take over transaction control from pysqlite so BEGIN can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class WriteConflict(Exception):
    """A constraint refused the write, typically because a concurrent transaction wrote the
    same key first; the unit of work was rolled back, so the use case may simply be re-run."""


class UnitOfWork:
    """One transaction and the repositories bound to it.

    `with db.transaction() as uow: ...; uow.commit()`, or it rolls back on leaving. An
    IntegrityError leaving the block is raised as `WriteConflict`, after the rollback.
    `after_unknown_commit` is True when an earlier attempt of the same work lost its
    connection during COMMIT: its writes may or may not be in the database, so the work
    must decide from what its idempotency key finds, never by applying twice.
    """

    def __init__(self, session: Session, *, after_unknown_commit: bool = False) -> None:
        self.session = session
        self.after_unknown_commit = after_unknown_commit
        self.aliases = AliasRepository(session)
        self.audit = AuditLog(session)
        self.catalog = CatalogRepository(session)
        self.dashboard = DashboardQueries(session)
        self.digests = DigestRepository(session)
        self.events = ProcessedEvents(session)
        self.evidence = EvidenceRepository(session)
        self.follows = FollowRepository(session)
        self.outbox = OutboxRepository(session)
        self.promises = PromiseRepository(session)
        self.proposals = ProposalRepository(session)
        self.schedules = ScheduleRepository(session)
        self.trackers = TrackerRepository(session)
        self._committing = False
        self._committed = False

    def __enter__(self) -> Self:
        return self

    def add(self, row: Base) -> None:
        self.session.add(row)

    def add_all(self, rows: Iterable[Base]) -> None:
        self.session.add_all(rows)

    def flush(self) -> None:
        self.session.flush()

    def commit(self) -> None:
        # Flushed first, so that only a failure of COMMIT itself leaves the outcome unknown.
        self.session.flush()
        self._committing = True
        self.session.commit()
        self._committed = True

    @property
    def commit_failed(self) -> bool:
        """COMMIT was sent but did not answer: the transaction may have been applied."""
        return self._committing and not self._committed

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()
        if isinstance(exc, IntegrityError):
            raise WriteConflict(str(exc.orig)) from exc


class Attempt:
    """One run of a unit of work: `with attempt as uow:` opens it; leaving rolls back what
    was not committed, and a transient error is logged in one line and swallowed while the
    retry budget lasts, so that `Database.attempts` runs the work again."""

    def __init__(self, uow: UnitOfWork, number: int, retry: _Retry) -> None:
        self.number = number
        self._uow = uow
        self._retry = retry
        self.retry_in: float | None = None
        self.commit_unknown = False

    def __enter__(self) -> UnitOfWork:
        return self._uow

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        try:
            self._uow.__exit__(exc_type, exc, tb)
        except SQLAlchemyError:  # rolling back on a dead connection; the error below matters
            log.debug("rollback after a failed attempt failed", exc_info=True)
        if exc is None or not is_transient(exc):
            return False
        self.commit_unknown = self._uow.commit_failed
        delay = self._retry.next_delay(self.number)
        if delay is None:
            # Left to the caller to log once, with its traceback.
            exc.add_note(f"promisebot: gave up after {self.number} database attempt(s)")
            return False
        log.warning(
            "database %s on attempt %d%s; retrying in %.2f s",
            describe(exc),
            self.number,
            " during COMMIT" if self.commit_unknown else "",
            delay,
        )
        self.retry_in = delay
        return True


class _Retry:
    """One unit of work's retry budget, counted from its first failure: an attempt that was
    merely slow (a cold cache, a busy server) still gets its retries."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self._first_failure: float | None = None

    def next_delay(self, failures: int) -> float | None:
        if self._first_failure is None:
            self._first_failure = self.policy.clock()
        return self.policy.next_delay(failures, self._first_failure)


class Database:
    """Owns the engine and hands out units of work."""

    def __init__(
        self, url: str, *, engine: Engine | None = None, retry: RetryPolicy | None = None
    ) -> None:
        self.engine = engine or create_db_engine(url)
        self.url = url
        self.retry = retry or RetryPolicy()
        self._write = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._read = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}),
            expire_on_commit=False,
            autoflush=False,
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def attempts(self, *, read_only: bool = False) -> Iterator[Attempt]:
        """Runs of one unit of work until one gets through a transient failure:

            for attempt in db.attempts():
                with attempt as uow:
                    ...
                    uow.commit()

        The whole transaction is re-run on a fresh connection, so everything it does must
        be safe to do again (one review per reviewer, event-id claims, upserts). When the
        retries are spent, the last error propagates with a note saying so.
        """
        retry = _Retry(self.retry)
        unknown = False
        for number in count(1):
            sessions = self._read if read_only else self._write
            attempt = Attempt(UnitOfWork(sessions(), after_unknown_commit=unknown), number, retry)
            yield attempt
            if attempt.retry_in is None:
                return
            unknown = unknown or attempt.commit_unknown
            self.retry.sleep(attempt.retry_in)

    def transaction(self) -> UnitOfWork:
        """A write transaction, tried once; commit it explicitly."""
        return UnitOfWork(self._write())

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """A read-only unit of work, always rolled back."""
        with UnitOfWork(self._read()) as uow:
            yield uow

    def ping(self) -> bool:
        try:
            with self.engine.execution_options(**{_READ_ONLY: True}).connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
