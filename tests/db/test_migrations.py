"""Migrations: empty → head → base → head on the run's database, one step down and up
again, data kept across them, no model drift, and the check that refuses an unmigrated
database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

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


def _columns(url: str, table: str) -> list[str]:
    engine = create_db_engine(url)
    try:
        return [column["name"] for column in inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def test_head_down_past_the_cron_drop_and_up_again(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url)
    assert "cron" not in _columns(fresh_database_url, "reminder_schedules")
    # To 0001 by name: later revisions (chained after 0002 when merged) sit above it.
    migrate.downgrade(fresh_database_url, "0001")
    assert "cron" in _columns(fresh_database_url, "reminder_schedules")
    migrate.upgrade(fresh_database_url)
    assert _columns(fresh_database_url, "reminder_schedules") == [
        column.name for column in Base.metadata.tables["reminder_schedules"].columns
    ]


def test_catalog_version_row_comes_and_goes_with_its_migration(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url)
    db = Database(fresh_database_url)
    try:
        with db.reading() as uow:
            assert uow.catalog.versions().search > 0
        migrate.downgrade(fresh_database_url, "0003_deadlines_and_senior_rule")
        assert "catalog_version" not in _tables(fresh_database_url)
        migrate.upgrade(fresh_database_url)
        with db.transaction() as uow:
            before = uow.catalog.versions()
            uow.catalog.touch_search()
            uow.commit()
        with db.reading() as uow:
            after = uow.catalog.versions()
        assert (after.search, after.standings) == (before.search + 1, before.standings)
    finally:
        db.dispose()


def test_dropping_the_cron_column_keeps_schedules_and_their_digest_runs(
    fresh_database_url: str,
) -> None:
    migrate.upgrade(fresh_database_url, "0001")
    engine = create_db_engine(fresh_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO reminder_schedules (id, channel_id, days_of_week, local_time, "
                    "cron, timezone, stalled_after_days, enabled, created_by, created_at, "
                    "updated_at) VALUES (1, 'C1', 'mon', '09:00', NULL, 'UTC', 30, true, 'U1', "
                    ":at, :at)"
                ),
                {"at": datetime(2026, 11, 30, tzinfo=UTC)},
            )
            connection.execute(
                text(
                    "INSERT INTO digest_runs (schedule_id, period_key, claimed_by, claimed_at, "
                    "attempts, channel_id, item_count) "
                    "VALUES (1, '2026-11-30T09:00', 'r', :at, 1, 'C1', 0)"
                ),
                {"at": datetime(2026, 11, 30, tzinfo=UTC)},
            )
        migrate.upgrade(fresh_database_url)
        with engine.connect() as connection:
            counts = [
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("reminder_schedules", "digest_runs")
            ]
        assert counts == [1, 1]
    finally:
        engine.dispose()


def test_source_key_is_filled_in_for_existing_promises_and_dropped_on_downgrade(
    fresh_database_url: str,
) -> None:
    migrate.upgrade(fresh_database_url, "0002_drop_schedule_cron")
    engine = create_db_engine(fresh_database_url)
    at = datetime(2026, 11, 30, tzinfo=UTC)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO trackers (id, slug, name, subject, created_at) "
                    "VALUES (1, 't', 'T', '', :at)"
                ),
                {"at": at},
            )
            for number, url in ((1, "https://www.example.org/p/one/?x=1"), (2, "")):
                connection.execute(
                    text(
                        "INSERT INTO promises (id, tracker_id, external_id, title, description, "
                        "tags, current_rating, rated_at, last_reviewed_at, source_url, "
                        "created_at, updated_at) VALUES (:id, 1, :ext, 'T', '', '[]', "
                        "'not_yet_rated', :at, :at, :url, :at, :at)"
                    ),
                    {"id": number, "ext": f"p{number}", "at": at, "url": url},
                )
        migrate.upgrade(fresh_database_url, "0006_source_key")
        with engine.connect() as connection:
            keys = connection.execute(text("SELECT source_key FROM promises ORDER BY id")).scalars()
            assert list(keys) == ["example.org/p/one", ""]
        migrate.downgrade(fresh_database_url, "0002_drop_schedule_cron")
        assert "source_key" not in _columns(fresh_database_url, "promises")
    finally:
        engine.dispose()


def test_require_schema_asks_for_migrations(db: Database, fresh_database_url: str) -> None:
    require_schema(db)
    empty = Database(fresh_database_url)
    try:
        with pytest.raises(DatabaseNotReady, match="run `promisebot db upgrade` first"):
            require_schema(empty)
    finally:
        empty.dispose()


def test_deadline_and_senior_columns_come_and_go_keeping_the_rows(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url, "0002_drop_schedule_cron")
    engine = create_db_engine(fresh_database_url)
    at = {"at": datetime(2026, 11, 30, tzinfo=UTC)}
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO trackers (id, slug, name, subject, created_at) "
                    "VALUES (1, 'gov', 'Gov', '', :at)"
                ),
                at,
            )
            connection.execute(
                text(
                    "INSERT INTO promises (id, tracker_id, external_id, title, description, "
                    "tags, current_rating, rated_at, last_reviewed_at, source_url, created_at, "
                    "updated_at) VALUES (1, 1, 'p1', 'P', '', '[]', 'stalled', :at, :at, '', "
                    ":at, :at)"
                ),
                at,
            )
            connection.execute(
                text(
                    "INSERT INTO proposals (id, promise_id, from_rating, to_rating, rationale, "
                    "evidence_links, proposed_by, approvals_required, status, created_at) "
                    "VALUES (1, 1, 'stalled', 'promise_broken', 'r', '[]', 'U1', 2, 'open', :at)"
                ),
                at,
            )
            connection.execute(
                text(
                    "INSERT INTO reviews (proposal_id, reviewer, verdict, comment, reviewed_at) "
                    "VALUES (1, 'U2', 'approve', '', :at)"
                ),
                at,
            )
        migrate.upgrade(fresh_database_url)
        with engine.connect() as connection:
            promise = connection.execute(text("SELECT due_on, due_label FROM promises")).one()
            senior_required = connection.execute(
                text("SELECT senior_required FROM proposals")
            ).scalar_one()
            senior = connection.execute(text("SELECT senior FROM reviews")).scalar_one()
        assert tuple(promise) == (None, "")
        assert not senior_required and not senior
        migrate.downgrade(fresh_database_url, "0002_drop_schedule_cron")
        assert "due_on" not in _columns(fresh_database_url, "promises")
        assert "senior_required" not in _columns(fresh_database_url, "proposals")
        assert "senior" not in _columns(fresh_database_url, "reviews")
        with engine.connect() as connection:
            counts = [
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("promises", "proposals", "reviews")
            ]
        assert counts == [1, 1, 1]
    finally:
        engine.dispose()


def test_aliases_and_picks_come_and_go_keeping_the_promises(fresh_database_url: str) -> None:
    before = "0005_catalog_version"
    migrate.upgrade(fresh_database_url, before)
    engine = create_db_engine(fresh_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO trackers (id, slug, name, subject, created_at) "
                    "VALUES (1, 'gov', 'Gov', '', :at)"
                ),
                {"at": datetime(2026, 11, 30, tzinfo=UTC)},
            )
        migrate.upgrade(fresh_database_url, "0007_aliases_and_picks")
        assert {"promise_aliases", "search_picks"} <= _tables(fresh_database_url)
        migrate.downgrade(fresh_database_url, before)
        assert not {"promise_aliases", "search_picks"} & _tables(fresh_database_url)
        migrate.upgrade(fresh_database_url, "0007_aliases_and_picks")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM trackers")).scalar_one() == 1
    finally:
        engine.dispose()
