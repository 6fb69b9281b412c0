"""Three notification senders — separate processes, separate engines — delivering one outbox
on PostgreSQL, one of them killed between claiming and posting: every (subscriber, change)
is delivered exactly once, the killed sender's claims after their lease runs out."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from promisebot.db.models import Delivery
from promisebot.db.uow import Database
from promisebot.sandbox import FakeSlack
from promisebot.services.follows import Target, TargetKind
from tests.databases import postgres_only
from tests.factories import add_promise
from tests.scheduler.support import EDITOR, MONDAY_9AM, build
from tests.scheduler.test_replicas import finish, start_replica


def start(config: dict[str, Any]) -> subprocess.Popen[str]:
    return start_replica(config, "tests.scheduler.notify_replica")


@postgres_only
def test_three_senders_one_killed_deliver_each_notification_exactly_once(db: Database) -> None:
    services = build(db, lambda: MONDAY_9AM)
    promises = [add_promise(db, f"p{n}", now=MONDAY_9AM, tracker="gov") for n in range(6)]
    people = [f"U_FOLLOWER{n}" for n in range(24)]
    channels = [f"C_DESK{n}" for n in range(6)]
    for n, person in enumerate(people):
        services.follows.follow(Target.promise(promises[n % 6]), user=person)
        if n % 2:  # a second, overlapping subscription: still one message per change
            services.follows.follow(Target(TargetKind.TRACKER, "gov"), user=person)
    for channel in channels:
        services.follows.follow(Target(TargetKind.TRACKER, "gov"), user=EDITOR, channel=channel)
    for n, promise_id in enumerate(promises * 2):
        services.evidence.add(promise_id=promise_id, url=f"https://news.example/{n}", actor=EDITOR)
    # Fanned out up front, so every sender starts on the same claimable deliveries.
    assert services.outbox.expand() == 12

    with FakeSlack() as fake:
        base = {"database_url": db.url, "api_url": fake.api_url, "now": MONDAY_9AM.isoformat()}
        start_at = time.time() + 2
        # The doomed sender goes a moment early, so it surely claims a batch before dying.
        senders = [
            start({**base, "claimer": "doomed", "die_before_post": True, "start_at": start_at}),
            start({**base, "claimer": "sender-b", "start_at": start_at + 0.2}),
            start({**base, "claimer": "sender-c", "start_at": start_at + 0.2}),
        ]
        results = [finish(process) for process in senders]
        # The doomed sender's claims are leased for 5 minutes; then anyone may take them.
        later = (MONDAY_9AM + timedelta(minutes=6)).isoformat()
        sweep = finish(start({**base, "claimer": "sweeper", "now": later, "start_at": 0}))
        posted = [call.args for call in fake.calls("chat.postMessage")]

    assert results[0][0] == 3, results  # killed between claim and post
    assert [code for code, _ in results[1:]] == [0, 0] and sweep[0] == 0, (results, sweep)
    assert sweep[1][1] > 0  # the doomed sender's batch, posted by the sweeper
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Delivery.id, Delivery.subscriber_id, Delivery.event_id, Delivery.outcome)
        ).all()
    # Each change reaches the people following its promise or the tracker, once, and the
    # six channels.
    expected = sum(
        len({p for n, p in enumerate(people) if n % 6 == k or n % 2} | set(channels))
        for k in range(6)
    )
    assert len(rows) == 2 * expected == 240
    assert {outcome for *_, outcome in rows} == {"posted"}
    sent = Counter(int(args["metadata"]["event_payload"]["delivery_id"]) for args in posted)
    assert sent == Counter({delivery_id: 1 for delivery_id, *_ in rows})
    assert len({(subscriber, event) for _, subscriber, event, _ in rows}) == len(rows)
