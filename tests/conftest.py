"""Shared fixtures: a migrated database per test run (SQLite, or PostgreSQL when
PROMISEBOT_TEST_DATABASE_URL is set), emptied after every test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from promisebot.db import migrate
from promisebot.db.models import Base
from promisebot.db.uow import Database
from promisebot.db.urls import normalize_url

POSTGRES_URL = os.environ.get("PROMISEBOT_TEST_DATABASE_URL", "")


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


@pytest.fixture(scope="session")
def is_postgres() -> bool:
    return bool(POSTGRES_URL)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, shared by the whole run."""
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of its own (for migration tests)."""
    with fresh_database(tmp_path) as url:
        yield url


def empty_all_tables(db: Database) -> None:
    with db.engine.begin() as connection:
        if db.is_postgres:
            names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The run's database, emptied after each test."""
    database = Database(database_url)
    try:
        yield database
    finally:
        empty_all_tables(database)
        database.dispose()


postgres_only = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL")
