"""Alembic, driven from code: upgrade, downgrade and the models-vs-migrations drift check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from promisebot.db.models import Base
from promisebot.db.uow import create_db_engine


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
