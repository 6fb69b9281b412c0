"""Alembic, driven from code: upgrade, downgrade, the models-vs-migrations drift check, and
the check that a database has been migrated at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import OperationalError

from promisebot.db.models import Base, Promise
from promisebot.db.uow import Database, create_db_engine


class DatabaseNotReady(Exception):
    """The database cannot be opened, or has no tables yet; the message says what to do."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(
            reason or "The database has no tables yet; run `promisebot db upgrade` first."
        )


def migrations_dir() -> Path:
    packaged = Path(__file__).resolve().parent.parent / "migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(url: str, engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["url"] = url
    config.attributes["engine"] = engine
    return config


def upgrade(url: str, revision: str = "head", engine: Engine | None = None) -> None:
    command.upgrade(alembic_config(url, engine), revision)


def downgrade(url: str, revision: str = "base", engine: Engine | None = None) -> None:
    command.downgrade(alembic_config(url, engine), revision)


def drift(url: str) -> list[Any]:
    """Differences autogenerate would write; empty when models and migrations agree."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def require_schema(db: Database) -> None:
    """Raise DatabaseNotReady when migrations have not been run (nothing is created here)."""
    try:
        with db.reading() as uow:
            ready = inspect(uow.session.connection()).has_table(Promise.__tablename__)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]
        raise DatabaseNotReady(f"Cannot open the database: {reason}") from None
    if not ready:
        raise DatabaseNotReady()
