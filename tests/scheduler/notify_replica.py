"""A notification sender in its own process, for the multi-process tests:
`python -m tests.scheduler.notify_replica '<json>'` runs `NotificationSender.run_once` with
its own engine at a given instant, starting at a shared moment; prints its report as JSON.

With "die_before_post" it exits abruptly at its first post, after claiming, as a killed
process would.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from promisebot.bootstrap import build_services
from promisebot.db.uow import Database
from promisebot.scheduler.notifications import NotificationSender
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Message
from promisebot.slack.client import build_web_client
from promisebot.slack.messenger import Messenger, Posted
from tests.clock import FakeClock


class DyingMessenger(Messenger):
    def post(
        self,
        channel: str,
        message: Message,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Posted:
        os._exit(3)


def main(config: dict[str, Any]) -> None:
    settings = load_settings(
        database_url=config["database_url"],
        slack_api_url=config["api_url"],
        slack_bot_token="xoxb-test",
    )
    db = Database(settings.sqlalchemy_url)
    messenger_type = DyingMessenger if config.get("die_before_post") else Messenger
    clock = FakeClock(datetime.fromisoformat(config["now"]))
    sender = NotificationSender(
        build_services(settings, db, clock),
        messenger_type(build_web_client(settings)),
        config["claimer"],
        lease=timedelta(minutes=5),
        batch=config.get("batch", 20),
    )
    time.sleep(max(0.0, config["start_at"] - time.time()))
    try:
        report = sender.run_once()
    finally:
        db.dispose()
    sys.stdout.write(json.dumps([report.expanded, report.posted, report.failed]) + "\n")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
