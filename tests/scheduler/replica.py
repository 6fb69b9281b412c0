"""A scheduler replica in its own process, for the multi-process tests:
`python -m tests.scheduler.replica '<json>'` runs digests for given fire times (or the retry
sweep) with its own engine, starting at a shared instant; prints the outcomes as JSON.

With "die_before_post" it exits abruptly right after claiming, as a killed replica would.
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
from promisebot.scheduler import DigestRunner
from promisebot.services import Services
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Message
from promisebot.slack.client import build_web_client
from promisebot.slack.messenger import Messenger, Posted
from tests.clock import FakeClock


class DyingMessenger(Messenger):
    def post(self, channel: str, message: Message, **_: Any) -> Posted:
        os._exit(3)


def replica_parts(config: dict[str, Any]) -> tuple[Database, Services, Messenger, FakeClock]:
    """This process's own database engine, services and messenger (one that dies at its
    first post with "die_before_post"), at the instant `now`."""
    settings = load_settings(
        database_url=config["database_url"],
        slack_api_url=config["api_url"],
        slack_bot_token="xoxb-test",
    )
    db = Database(settings.sqlalchemy_url)
    messenger_type = DyingMessenger if config.get("die_before_post") else Messenger
    clock = FakeClock(datetime.fromisoformat(config["now"]))
    return (
        db,
        build_services(settings, db, clock),
        messenger_type(build_web_client(settings)),
        clock,
    )


def main(config: dict[str, Any]) -> None:
    db, services, messenger, clock = replica_parts(config)
    runner = DigestRunner(
        services,
        messenger,
        config["claimer"],
        retry_after=timedelta(minutes=5),
    )
    outcomes: list[str] = []
    # Imports take a while; line the replicas up so their claims really race.
    time.sleep(max(0.0, config["start_at"] - time.time()))
    try:
        if config["mode"] == "retry":
            outcomes = [o.status.value for o in runner.retry_unposted()]
        else:
            for fire in config["fire_times"]:
                fire_time = datetime.fromisoformat(fire)
                clock.set(fire_time + timedelta(minutes=1))
                outcomes.append(runner.run_schedule(config["schedule_id"], fire_time).status)
    finally:
        db.dispose()
    sys.stdout.write(json.dumps(outcomes) + "\n")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
