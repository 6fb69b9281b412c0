"""Transient database failures: the classifier, tried on real errors, and the retry primitive
that re-runs a whole unit of work on a fresh connection."""

from __future__ import annotations

import logging
import re
import socket
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from promisebot.db.models import AuditEvent
from promisebot.db.retry import RetryPolicy, describe, is_transient
from promisebot.db.uow import Database, UnitOfWork
from promisebot.db.urls import normalize_url
from tests.databases import postgres_only
from tests.db.blips import CuttableProxy, backend_pid, terminate_backends

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retrying(db: Database, sleeps: Sleeps) -> Database:
    """The run's database with a retry policy that records its waits instead of sleeping."""
    return Database(db.url, engine=db.engine, retry=RetryPolicy(attempts=4, sleep=sleeps))


def record_event(uow: UnitOfWork, action: str = "test.retried") -> None:
    uow.audit.record(actor="test", action=action, subject_type="test", subject_id=1, at=NOW)


def events(db: Database) -> int:
    with db.reading() as uow:
        return int(uow.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def provoked(statement: str, connection: psycopg.Connection[object]) -> psycopg.Error:
    try:
        connection.execute(statement)  # type: ignore[arg-type]
    except psycopg.Error as error:
        return error
    raise AssertionError(f"{statement} did not fail")


def wrapped(error: Exception) -> DBAPIError:
    """A driver error as SQLAlchemy raises it (what `is_transient` sees in the services)."""
    return DBAPIError.instance("SELECT 1", {}, error, psycopg.Error)  # type: ignore[arg-type]


# -- the classifier, on errors the servers really raised ----------------------------------


@postgres_only
def test_a_terminated_backend_is_transient(db: Database) -> None:
    with db.engine.connect() as connection:
        terminate_backends(db.url, pid=backend_pid(connection))
        with pytest.raises(OperationalError) as raised:
            connection.execute(text("SELECT 1"))
    assert is_transient(raised.value)
    assert describe(raised.value) == "OperationalError (AdminShutdown 57P01)"


@postgres_only
@pytest.mark.parametrize("during", ["query", "commit"])
def test_a_connection_closed_under_the_client_is_transient(db: Database, during: str) -> None:
    url = make_url(normalize_url(db.url))
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    engine = create_engine(proxy.url_for(db.url))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            proxy.cut()
            with pytest.raises(OperationalError) as raised:
                if during == "query":
                    connection.execute(text("SELECT 1"))
                else:
                    connection.commit()
    finally:
        engine.dispose()
        proxy.close()
    assert "server closed the connection unexpectedly" in str(raised.value.orig)
    assert getattr(raised.value.orig, "sqlstate", None) is None
    assert is_transient(raised.value)


@postgres_only
def test_a_serialization_failure_is_transient(db: Database) -> None:
    dsn = make_url(normalize_url(db.url)).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE probe_serial (id int PRIMARY KEY, n int)")
        setup.execute("INSERT INTO probe_serial VALUES (1, 0)")
        try:
            with psycopg.connect(dsn) as first, psycopg.connect(dsn) as second:
                for connection in (first, second):
                    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    connection.execute("SELECT n FROM probe_serial")
                first.execute("UPDATE probe_serial SET n = 1")
                first.commit()
                error = provoked("UPDATE probe_serial SET n = 2", second)
        finally:
            setup.execute("DROP TABLE probe_serial")
    assert error.sqlstate == "40001"
    assert is_transient(wrapped(error))


@postgres_only
def test_a_deadlock_is_transient(db: Database) -> None:
    dsn = make_url(normalize_url(db.url)).set(drivername="postgresql").render_as_string(False)
    errors: list[psycopg.Error] = []

    def update(connection: psycopg.Connection[object], statement: str) -> None:
        try:
            connection.execute(statement)  # type: ignore[arg-type]
        except psycopg.Error as error:
            errors.append(error)

    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE probe_deadlock (id int PRIMARY KEY, n int)")
        setup.execute("INSERT INTO probe_deadlock VALUES (1, 0), (2, 0)")
        try:
            with psycopg.connect(dsn) as first, psycopg.connect(dsn) as second:
                first.execute("UPDATE probe_deadlock SET n = 1 WHERE id = 1")
                second.execute("UPDATE probe_deadlock SET n = 1 WHERE id = 2")
                waiting = threading.Thread(
                    target=update, args=(first, "UPDATE probe_deadlock SET n = 2 WHERE id = 2")
                )
                waiting.start()
                wait_for_a_lock_wait(setup)
                update(second, "UPDATE probe_deadlock SET n = 2 WHERE id = 1")
                waiting.join()
        finally:
            setup.execute("DROP TABLE probe_deadlock")
    # The server picks one of the two crossing updates as the victim; the other goes on.
    assert [error.sqlstate for error in errors] == ["40P01"]
    assert is_transient(wrapped(errors[0]))


def wait_for_a_lock_wait(admin: psycopg.Connection[object]) -> None:
    while not admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    ).fetchone()[0]:  # type: ignore[index]
        threading.Event().wait(0.02)


@postgres_only
def test_errors_in_the_work_itself_are_not_transient(db: Database) -> None:
    with db.engine.connect() as connection:
        with pytest.raises(DBAPIError) as syntax:
            connection.execute(text("SELEC 1"))
        connection.rollback()
        connection.execute(text("CREATE TEMP TABLE probe_unique (id int PRIMARY KEY)"))
        connection.execute(text("INSERT INTO probe_unique VALUES (1)"))
        with pytest.raises(IntegrityError) as duplicate:
            connection.execute(text("INSERT INTO probe_unique VALUES (1)"))
    assert not is_transient(syntax.value)
    assert not is_transient(duplicate.value)


@postgres_only
def test_a_server_that_cannot_be_reached_at_all_is_not_transient(db: Database) -> None:
    """An outage or a wrong URL should fail start-up at once, not after the retry budget."""
    closed = socket_nobody_listens_on()
    url = make_url(normalize_url(db.url)).set(port=closed).render_as_string(False)
    engine = create_engine(url)
    try:
        with pytest.raises(OperationalError) as raised:
            engine.connect()
    finally:
        engine.dispose()
    assert not is_transient(raised.value)


def socket_nobody_listens_on() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sqlite_locked_past_its_busy_timeout_is_not_transient(tmp_path: Path) -> None:
    """The 30-second busy timeout already was the wait; retrying would only wait longer."""
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (id int)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    try:
        with engine.connect() as connection, pytest.raises(OperationalError) as raised:
            connection.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
        holder.execute("ROLLBACK")
        holder.close()
    assert "database is locked" in str(raised.value)
    assert not is_transient(raised.value)


def test_errors_that_are_not_database_errors_are_not_transient() -> None:
    assert not is_transient(ValueError("bad input"))
    assert not is_transient(ConnectionResetError())


# -- the retry primitive -------------------------------------------------------------------


def transient_error() -> OperationalError:
    """What psycopg raises when pg_terminate_backend ends the session (see the test above)."""
    cause = psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    return OperationalError("SELECT 1", {}, cause)


def test_a_unit_of_work_that_succeeds_runs_once(retrying: Database, sleeps: Sleeps) -> None:
    runs = 0
    for attempt in retrying.attempts():
        with attempt as uow:
            runs += 1
            record_event(uow)
            uow.commit()
    assert (runs, events(retrying), sleeps) == (1, 1, [])


def test_a_transient_failure_reruns_the_whole_transaction(
    retrying: Database, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    runs = 0
    with caplog.at_level(logging.INFO, logger="promisebot.db"):
        for attempt in retrying.attempts():
            with attempt as uow:
                runs += 1
                record_event(uow, f"test.run{runs}")
                uow.flush()
                if runs < 3:
                    raise transient_error()
                uow.commit()
    # The first two runs were rolled back whole: only the third one's write is there.
    with retrying.reading() as uow:
        actions = uow.session.execute(select(AuditEvent.action)).scalars().all()
    assert actions == ["test.run3"]
    assert len(sleeps) == 2
    assert sleeps[0] <= sleeps[1] * 2  # backing off, with jitter
    lines = [r for r in caplog.records if r.name == "promisebot.db.uow"]
    assert [r.getMessage().split(";")[0] for r in lines] == [
        "database OperationalError (AdminShutdown 57P01) on attempt 1",
        "database OperationalError (AdminShutdown 57P01) on attempt 2",
    ]
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in lines)


def test_a_failure_that_is_not_transient_propagates_at_once(
    retrying: Database, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    runs = 0
    with caplog.at_level(logging.INFO, logger="promisebot.db"), pytest.raises(ValueError):
        for attempt in retrying.attempts():
            with attempt as uow:
                runs += 1
                record_event(uow)
                uow.flush()
                raise ValueError("the work's own mistake")
    assert (runs, events(retrying), sleeps) == (1, 0, [])
    assert not [r for r in caplog.records if r.name == "promisebot.db.uow"]


def test_when_the_attempts_are_spent_the_last_error_propagates_with_a_note(
    retrying: Database, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    runs = 0
    with (
        caplog.at_level(logging.INFO, logger="promisebot.db"),
        pytest.raises(OperationalError) as raised,
    ):
        for attempt in retrying.attempts():
            with attempt as uow:
                runs += 1
                record_event(uow)
                uow.flush()
                raise transient_error()
    assert (runs, events(retrying), len(sleeps)) == (4, 0, 3)
    assert raised.value.__notes__ == ["promisebot: gave up after 4 database attempt(s)"]
    # One line per retried failure; the final one is left to whoever handles the error.
    assert len([r for r in caplog.records if r.name == "promisebot.db.uow"]) == 3


def test_retries_end_with_the_budget_counted_from_the_first_failure(db: Database) -> None:
    now = [0.0]
    started: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    policy = RetryPolicy(attempts=100, budget_seconds=5.0, sleep=sleep, clock=lambda: now[0])
    database = Database(db.url, engine=db.engine, retry=policy)
    with pytest.raises(OperationalError):
        for attempt in database.attempts():
            with attempt:
                started.append(now[0])
                # The first attempt is slow (a cold cache) before it fails; later ones take 1 s.
                now[0] += 10.0 if attempt.number == 1 else 1.0
                raise transient_error()
    first_failure = 10.0
    retries = started[1:]
    assert len(retries) >= 2  # a slow first attempt still gets its retries...
    assert all(at <= first_failure + 5.0 for at in retries)  # ...within the budget


def test_the_backoff_grows_to_its_ceiling_with_jitter() -> None:
    policy = RetryPolicy(first_delay=0.1, max_delay=1.6)
    for failures, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (5, 1.6), (9, 1.6)]:
        delays = {policy.delay_after(failures) for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1


def test_read_only_attempts_retry_too(retrying: Database, sleeps: Sleeps) -> None:
    runs = 0
    for attempt in retrying.attempts(read_only=True):
        with attempt as uow:
            runs += 1
            uow.session.execute(text("SELECT 1"))
            if runs == 1:
                raise transient_error()
    assert (runs, len(sleeps)) == (2, 1)


def test_an_early_return_inside_an_attempt_ends_the_attempts(retrying: Database) -> None:
    def first_event_id() -> int | None:
        for attempt in retrying.attempts(read_only=True):
            with attempt as uow:
                found = uow.session.execute(select(AuditEvent.id)).scalar()
                if found is None:
                    return None
        return int(found)

    assert first_event_id() is None


@postgres_only
def test_a_terminated_backend_is_survived_by_rerunning_on_a_fresh_connection(
    retrying: Database, sleeps: Sleeps
) -> None:
    pids: list[int] = []
    for attempt in retrying.attempts():
        with attempt as uow:
            pids.append(backend_pid(uow.session))
            record_event(uow)
            uow.flush()
            if len(pids) == 1:
                terminate_backends(retrying.url, pid=pids[0])
            uow.commit()
    assert len(pids) == 2 and pids[0] != pids[1]
    assert events(retrying) == 1


@postgres_only
def test_a_connection_lost_during_commit_tells_the_next_attempt(db: Database) -> None:
    url = make_url(normalize_url(db.url))
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    through_proxy = Database(proxy.url_for(db.url), retry=RetryPolicy(sleep=lambda _s: None))
    seen: list[bool] = []
    try:
        for attempt in through_proxy.attempts():
            with attempt as uow:
                seen.append(uow.after_unknown_commit)
                if uow.after_unknown_commit and events(db):
                    break  # the idempotency re-read: the first commit did land
                record_event(uow)
                uow.flush()
                if len(seen) == 1:
                    proxy.cut()
                uow.commit()
    finally:
        through_proxy.dispose()
        proxy.close()
    assert seen == [False, True]
    assert events(db) == 1


def test_a_failure_before_commit_is_not_an_unknown_commit(retrying: Database) -> None:
    seen: list[bool] = []
    for attempt in retrying.attempts():
        with attempt as uow:
            seen.append(uow.after_unknown_commit)
            if len(seen) == 1:
                raise transient_error()
    assert seen == [False, False]


def test_every_service_transaction_is_a_retrying_one() -> None:
    """A unit of work opened once (`db.transaction()`, `db.reading()`) would not survive a
    blip: services, jobs and listeners open theirs with `db.attempts()`."""
    package = Path(__file__).parents[2] / "src" / "promisebot"
    single_shot = re.compile(r"\.(transaction|reading)\(\)")
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for folder in ("services", "scheduler", "slack")
        for path in sorted((package / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if single_shot.search(line)
    ]
    assert offenders == []
