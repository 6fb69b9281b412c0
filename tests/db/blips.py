"""Real database blips for tests: terminating PostgreSQL backends from an admin connection, and
a TCP proxy whose connections can be cut abruptly (libpq then reports "server closed the
connection unexpectedly", with no SQLSTATE)."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from promisebot.db.urls import normalize_url


def terminate_backends(url: str, *, pid: int | None = None, application: str | None = None) -> int:
    """pg_terminate_backend for one backend, or every backend of the URL's database (except
    the admin's own), optionally only those with an application_name; returns how many."""
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    database = make_url(normalize_url(url)).database
    try:
        with admin.connect() as connection:
            if pid is not None:
                return int(
                    connection.execute(
                        text("SELECT count(pg_terminate_backend(:pid))"), {"pid": pid}
                    ).scalar_one()
                )
            return int(
                connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :database AND pid <> pg_backend_pid() "
                        "AND (CAST(:application AS text) IS NULL "
                        "OR application_name = :application)"
                    ),
                    {"database": database, "application": application},
                ).scalar_one()
            )
    finally:
        admin.dispose()


def backend_pid(connection: Connection | Session) -> int:
    """The server process id behind a SQLAlchemy Connection or Session."""
    return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


class CuttableProxy:
    """Forwards TCP connections to PostgreSQL; `cut()` shuts every open one down at once."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url_for(self, url: str) -> str:
        return (
            make_url(normalize_url(url))
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    def cut(self) -> None:
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._server.close()
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(client: socket.socket, upstream: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([client, upstream], [], [])
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (upstream if sock is client else client).sendall(data)
        except OSError:
            for sock in (client, upstream):
                sock.close()


def transient_error(statement: str = "COMMIT") -> OperationalError:
    """What psycopg raises when the server's socket closes under a statement (as in
    tests/db/test_retry.py, where the error is provoked for real)."""
    cause = psycopg.OperationalError(
        "consuming input failed: server closed the connection unexpectedly"
    )
    return OperationalError(statement, {}, cause)


@contextmanager
def lost_commit(*, landed: bool, times: int = 1) -> Iterator[list[int]]:
    """The next `times` COMMITs fail as if the connection dropped while committing: after
    the database applied the transaction (`landed`), or before. Yields the failures seen."""
    seen: list[int] = []
    hook = "after_commit" if landed else "before_commit"

    def fail(_session: Session) -> None:
        if len(seen) < times:
            seen.append(1)
            raise transient_error()

    event.listen(Session, hook, fail)
    try:
        yield seen
    finally:
        event.remove(Session, hook, fail)


@contextmanager
def failing_statements(matching: str = "", *, times: int | None = None) -> Iterator[list[str]]:
    """Every statement of `engine`s whose SQL starts with `matching` (all by default) fails
    with a lost connection, `times` times or until the block ends. Yields the failed SQL."""
    failed: list[str] = []

    def fail(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(matching.upper()) and (
            times is None or len(failed) < times
        ):
            failed.append(statement)
            raise transient_error(statement)

    event.listen(Engine, "before_cursor_execute", fail)
    try:
        yield failed
    finally:
        event.remove(Engine, "before_cursor_execute", fail)
