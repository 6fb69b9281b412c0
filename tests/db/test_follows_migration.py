"""0004_follows_and_outbox: up from 0002 keeps schedules (now kind "stalled") and their
digest runs; down again drops the new tables and the column and keeps the rest."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from promisebot.db import migrate
from promisebot.db.uow import create_db_engine

NEW_TABLES = {"follows", "follower_preferences", "outbox_events", "deliveries", "summary_runs"}
AT = datetime(2026, 11, 30, tzinfo=UTC)


def test_follows_migration_up_and_down_keeps_schedules(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url, "0002_drop_schedule_cron")
    engine = create_db_engine(fresh_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO reminder_schedules (id, channel_id, days_of_week, local_time, "
                    "timezone, stalled_after_days, enabled, created_by, created_at, updated_at) "
                    "VALUES (1, 'C1', 'mon', '09:00', 'UTC', 30, true, 'U1', :at, :at)"
                ),
                {"at": AT},
            )
            connection.execute(
                text(
                    "INSERT INTO digest_runs (schedule_id, period_key, claimed_by, claimed_at, "
                    "attempts, channel_id, item_count) "
                    "VALUES (1, '2026-11-30T09:00', 'r', :at, 1, 'C1', 0)"
                ),
                {"at": AT},
            )
        migrate.upgrade(fresh_database_url)
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES
        with engine.connect() as connection:
            kinds = connection.execute(text("SELECT kind FROM reminder_schedules")).scalars().all()
            runs = connection.execute(text("SELECT count(*) FROM digest_runs")).scalar_one()
        assert (kinds, runs) == (["stalled"], 1)

        migrate.downgrade(fresh_database_url, "0002_drop_schedule_cron")
        engine.dispose()
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
        columns = {c["name"] for c in inspect(engine).get_columns("reminder_schedules")}
        assert "kind" not in columns
        with engine.connect() as connection:
            counts = [
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("reminder_schedules", "digest_runs")
            ]
        assert counts == [1, 1]
    finally:
        engine.dispose()
