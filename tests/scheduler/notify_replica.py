"""A notification sender in its own process, for the multi-process tests:
`python -m tests.scheduler.notify_replica '<json>'` runs `NotificationSender.run_once` with
its own engine at a given instant, starting at a shared moment; prints its report as JSON.

With "die_before_post" it exits abruptly at its first post, after claiming, as a killed
process would.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from typing import Any

from promisebot.scheduler.notifications import NotificationSender
from tests.scheduler.replica import replica_parts


def main(config: dict[str, Any]) -> None:
    db, services, messenger, _ = replica_parts(config)
    sender = NotificationSender(
        services,
        messenger,
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
