"""Migrations: empty → head → base → head on the run's database, no model drift, and the
check that refuses an unmigrated database."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from promisebot.db import migrate
from promisebot.db.migrate import DatabaseNotReady, require_schema
from promisebot.db.models import Base
from promisebot.db.uow import Database, create_db_engine


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url)
    assert _tables(fresh_database_url) == set(Base.metadata.tables)
    migrate.downgrade(fresh_database_url, "base")
    assert _tables(fresh_database_url) == set()
    migrate.upgrade(fresh_database_url)
    assert _tables(fresh_database_url) == set(Base.metadata.tables)


def test_models_and_migrations_agree(database_url: str) -> None:
    assert migrate.drift(database_url) == []


def test_require_schema_asks_for_migrations(db: Database, fresh_database_url: str) -> None:
    require_schema(db)
    empty = Database(fresh_database_url)
    try:
        with pytest.raises(DatabaseNotReady, match="run `promisebot db upgrade` first"):
            require_schema(empty)
    finally:
        empty.dispose()
