"""Alembic environment: the URL comes from promisebot's settings (or the caller)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from promisebot.db.models import Base
from promisebot.db.uow import create_db_engine

config = context.config


def _url() -> str:
    url = config.attributes.get("url")
    if url:
        return str(url)
    from promisebot.settings import get_settings

    return get_settings().sqlalchemy_url


def run_migrations_online() -> None:
    given: Engine | None = config.attributes.get("engine")
    engine = given or create_db_engine(_url())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                compare_type=True,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        if given is None:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `promisebot db upgrade`.")
run_migrations_online()
