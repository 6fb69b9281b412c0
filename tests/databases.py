"""The test run's database: a fresh SQLite file, or a fresh PostgreSQL database when
PROMISEBOT_TEST_DATABASE_URL is set; emptying it between tests; a PostgreSQL-only mark."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from promisebot.db.models import Base
from promisebot.db.uow import Database
from promisebot.db.urls import normalize_url

POSTGRES_URL = os.environ.get("PROMISEBOT_TEST_DATABASE_URL", "")

postgres_only = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL")


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """An empty database of the run's kind, dropped afterwards; yields its URL."""
    if not POSTGRES_URL:
        path = tmp_dir / f"promisebot-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    admin_url = normalize_url(POSTGRES_URL)
    name = f"promisebot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_all_tables(db: Database) -> None:
    # Retried like any unit of work: a test's after-ack work still reading can deadlock
    # with the TRUNCATE, and then one of the two is re-run.
    for attempt in db.attempts():
        with attempt as uow:
            if db.is_postgres:
                names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
                uow.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(Base.metadata.sorted_tables):
                    uow.session.execute(table.delete())
            uow.commit()
