"""`/promise remind here|list|off` through the real HTTP endpoint: schedules stored (or not)
in the database, replies with next runs in the schedule's time zone, and the scheduler told."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Row, select

from promisebot.bootstrap import build_runtime
from promisebot.db.models import AuditEvent, ReminderSchedule
from promisebot.db.uow import Database
from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.scheduler import PromisebotScheduler
from promisebot.settings import load_settings
from promisebot.slack.server import HttpServer, WsgiApp
from tests.blocks import assert_valid_blocks
from tests.clock import FakeClock
from tests.slack.bot import EDITORS, REPORTER, SIGNING_SECRET, Bot

EDITOR = EDITORS[0]
CHANNEL = "C_DESK"
EXAMPLE = "e.g. `/promise remind here mon,thu 09:00 30`"
# FakeClock starts on Wednesday 25 Nov 2026, 15:00 UTC = 10:00 in New York (EST).


def remind(bot: Bot, args: str, *, user: str = EDITOR, channel: str = CHANNEL) -> dict[str, Any]:
    response = bot.driver.command(f"remind {args}".strip(), user=user, channel=channel)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["response_type"] == "ephemeral"
    assert_valid_blocks(body["blocks"])
    return body


def schedules(db: Database) -> list[Row[Any]]:
    table = ReminderSchedule.__table__
    with db.reading() as uow:
        return list(uow.session.execute(select(table).order_by(table.c.id)).all())


def audit_actions(db: Database) -> list[str]:
    """The schedule audit trail (the demo import writes its own events)."""
    with db.reading() as uow:
        statement = select(AuditEvent.action).where(AuditEvent.subject_type == "schedule")
        return list(uow.session.scalars(statement.order_by(AuditEvent.id)))


# -- remind here -----------------------------------------------------------------------------


def test_remind_here_stores_the_schedule_and_says_when_it_runs_next(bot: Bot) -> None:
    body = remind(bot, "here mon,thu 09:00 30")

    [row] = schedules(bot.db)
    assert (row.channel_id, row.days_of_week, row.local_time) == (CHANNEL, "mon,thu", "09:00")
    assert (row.timezone, row.stalled_after_days, row.enabled) == ("America/New_York", 30, True)
    assert row.created_by == EDITOR
    assert body["text"] == (
        f"Reminder set: *#{row.id}* · Mon, Thu at 09:00 (America/New_York) · "
        "stalled over 30 days · next Thu, Nov 26, 2026 at 09:00 EST"
    )
    assert audit_actions(bot.db) == ["schedule.created"]


@pytest.mark.parametrize(
    ("spec", "days", "described"),
    [
        ("weekdays 17:30", "mon,tue,wed,thu,fri", "Weekdays at 17:30"),
        ("daily 7:05", "mon,tue,wed,thu,fri,sat,sun", "Every day at 07:05"),
        ("Friday 08:00 14", "fri", "Fri at 08:00"),
    ],
)
def test_remind_here_accepts_day_words(bot: Bot, spec: str, days: str, described: str) -> None:
    body = remind(bot, f"here {spec}")

    [row] = schedules(bot.db)
    assert row.days_of_week == days
    assert described in body["text"]


def test_without_a_threshold_the_default_applies(make_bot: Callable[..., Bot]) -> None:
    bot = make_bot(stalled_after_days=45)
    body = remind(bot, "here daily 09:00")

    [row] = schedules(bot.db)
    assert row.stalled_after_days == 45
    assert "stalled over 45 days" in body["text"]


def test_the_time_zone_comes_from_the_settings(make_bot: Callable[..., Bot]) -> None:
    bot = make_bot(timezone="Europe/Berlin")
    body = remind(bot, "here mon,thu 09:00")

    [row] = schedules(bot.db)
    assert row.timezone == "Europe/Berlin"
    # Wednesday 16:00 in Berlin: the next run is Thursday 09:00 CET.
    assert "next Thu, Nov 26, 2026 at 09:00 CET" in body["text"]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ("here", "Say what time"),
        ("here mon,thu", "Say what time"),
        ("here 09:00", "Say which days"),
        ("here funday 09:00", "'funday' is not a day."),
        ("here mon 25:00", "The time must be 24-hour HH:MM"),
        ("here mon 09:00 lots", "'lots' is not a number of days."),
        ("here mon 09:00 0", "The threshold must be 1 to 3650 days."),
        ("", "Usage"),
        ("everywhere mon 09:00", "Usage"),
        ("tomorrow", "Usage"),
    ],
)
def test_bad_input_gets_the_usage_with_a_valid_example_and_stores_nothing(
    bot: Bot, args: str, problem: str
) -> None:
    body = remind(bot, args)

    assert problem in body["text"]
    assert EXAMPLE in body["text"]
    assert schedules(bot.db) == []
    assert audit_actions(bot.db) == []


def test_the_same_reminder_twice_is_refused(bot: Bot) -> None:
    remind(bot, "here mon,thu 09:00 30")
    body = remind(bot, "here thu,mon 9:00 30")

    assert "already has that reminder (schedule #" in body["text"]
    assert len(schedules(bot.db)) == 1


@pytest.mark.parametrize("args", ["here mon,thu 09:00 30", "here nonsense", "list", "off 1"])
def test_reporters_cannot_manage_reminders(bot: Bot, args: str) -> None:
    remind(bot, "here daily 09:00")
    body = remind(bot, args, user=REPORTER)

    assert "Only editors can manage reminder schedules" in body["text"]
    [row] = schedules(bot.db)
    assert row.enabled
    assert audit_actions(bot.db) == ["schedule.created"]


# -- remind list / off -----------------------------------------------------------------------


def test_remind_list_shows_this_channels_schedules_with_their_next_runs(bot: Bot) -> None:
    remind(bot, "here mon,thu 09:00 30")
    remind(bot, "here weekdays 17:00 60")
    remind(bot, "here daily 08:00", channel="C_OTHER")

    body = remind(bot, "list")

    first, second, other = schedules(bot.db)
    text = body["text"]
    assert f"*#{first.id}* · Mon, Thu at 09:00 (America/New_York) · stalled over 30 days" in text
    assert "next Thu, Nov 26, 2026 at 09:00 EST" in text
    assert f"*#{second.id}* · Weekdays at 17:00 (America/New_York) · stalled over 60 days" in text
    assert "next Wed, Nov 25, 2026 at 17:00 EST" in text
    assert f"#{other.id}*" not in text
    assert "/promise remind off <id>" in repr(body["blocks"])


def test_remind_list_in_a_channel_without_schedules(bot: Bot) -> None:
    body = remind(bot, "list")

    assert body["text"] == "No still-stalled reminders here yet."
    assert EXAMPLE in repr(body["blocks"])


def test_remind_off_turns_the_schedule_off(bot: Bot) -> None:
    remind(bot, "here mon,thu 09:00 30")
    [row] = schedules(bot.db)

    body = remind(bot, f"off {row.id}")

    assert body["text"].startswith(f"Reminder turned off: *#{row.id}* · Mon, Thu at 09:00")
    assert body["text"].endswith(" · off")
    [row] = schedules(bot.db)
    assert not row.enabled
    assert audit_actions(bot.db) == ["schedule.created", "schedule.disabled"]
    assert remind(bot, "list")["text"] == "No still-stalled reminders here yet."


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ("off", "is not a schedule id"),
        ("off soon", "'soon' is not a schedule id"),
        ("off 999", "There is no reminder schedule #999 here"),
    ],
)
def test_remind_off_with_a_bad_id_changes_nothing(bot: Bot, args: str, problem: str) -> None:
    remind(bot, "here daily 09:00")

    body = remind(bot, args)

    assert problem in body["text"]
    [row] = schedules(bot.db)
    assert row.enabled


def test_remind_off_cannot_reach_another_channels_schedule(bot: Bot) -> None:
    remind(bot, "here daily 09:00", channel="C_OTHER")
    [row] = schedules(bot.db)

    body = remind(bot, f"off #{row.id}")

    assert f"There is no reminder schedule #{row.id} here" in body["text"]
    [row] = schedules(bot.db)
    assert row.enabled


# -- the scheduler hears about changes -------------------------------------------------------


@dataclasses.dataclass
class ScheduledBot:
    bot: Bot
    scheduler: PromisebotScheduler
    synced: threading.Semaphore

    def wait_for_sync(self) -> None:
        assert self.synced.acquire(timeout=5), "the scheduler was not told"


@pytest.fixture
def scheduled_bot(db: Database, fake_slack: FakeSlack) -> Iterator[ScheduledBot]:
    """The app wired as in a process that also runs the scheduler (not started: its jobs
    are only listed, never fired)."""
    settings = load_settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        database_url=db.url,
        editors=",".join(EDITORS),
    )
    clock = FakeClock()
    runtime = build_runtime(settings, clock=clock, db=db)
    scheduler = PromisebotScheduler(runtime.services, runtime.messenger)
    synced = threading.Semaphore(0)

    def sync() -> None:
        scheduler.sync()
        synced.release()

    runtime = dataclasses.replace(
        runtime, services=dataclasses.replace(runtime.services, on_schedules_changed=sync)
    )
    server = HttpServer(WsgiApp(runtime.slack_app(), db.ping), host="127.0.0.1", port=0)
    server.start()
    driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, fake_slack)
    try:
        yield ScheduledBot(Bot(fake_slack, driver, runtime, server, clock), scheduler, synced)
    finally:
        driver.close()
        server.stop()
        scheduler.shutdown()


def test_a_new_or_removed_schedule_reaches_the_scheduler_at_once(
    scheduled_bot: ScheduledBot,
) -> None:
    bot, scheduler = scheduled_bot.bot, scheduled_bot.scheduler
    assert scheduler.digest_job_ids() == []

    remind(bot, "here mon,thu 09:00 30")
    scheduled_bot.wait_for_sync()
    [row] = schedules(bot.db)
    assert scheduler.digest_job_ids() == [f"digest:{row.id}"]

    remind(bot, f"off {row.id}")
    scheduled_bot.wait_for_sync()
    assert scheduler.digest_job_ids() == []


def test_bad_input_does_not_disturb_the_scheduler(scheduled_bot: ScheduledBot) -> None:
    remind(scheduled_bot.bot, "here mon 25:00")
    remind(scheduled_bot.bot, "off 12", user=REPORTER)

    assert not scheduled_bot.synced.acquire(timeout=0.5)
