"""Shared fixtures: a migrated database per test run (SQLite, or PostgreSQL when
PROMISEBOT_TEST_DATABASE_URL is set), emptied after every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from promisebot.db import migrate
from promisebot.db.uow import Database
from tests.databases import POSTGRES_URL, empty_all_tables, fresh_database


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


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The run's database, emptied after each test."""
    database = Database(database_url)
    try:
        yield database
    finally:
        empty_all_tables(database)
        database.dispose()
