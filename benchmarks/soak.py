"""Soak: several real HTTP replicas on one PostgreSQL database, a bounded mix of traffic, then
a check of the database against what was sent.

Run: .venv/bin/python benchmarks/soak.py [--requests 2000] [--concurrency 20] [--replicas 3]
     [--short] [--faults] [--postgres URL]

Each replica is `promisebot run --http` in its own process (its scheduler on), against the
fake Slack served here. Requests go round-robin over the replicas: lookups, proposals
(modal submissions), approvals by button and by thread reply — a share of them delivered
twice, as double clicks and Slack retries — evidence additions, lists. Reminder schedules
are set to fire during the run in every replica at once. Afterwards: every approval Slack
was told about is stored once, every proposal that reached its approvals was applied exactly
once (or went stale), no digest period was posted twice, and no request got a 5xx.
`--faults` also restarts a replica, makes Slack answer 429/5xx for a while and cuts the
database connections mid-run (on demand only: CI shares the database server).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from promisebot.bootstrap import build_services
from promisebot.db import migrate
from promisebot.db.uow import Database
from promisebot.domain import Rating, utcnow
from promisebot.sandbox import FakeSlack, SlackDriver
from promisebot.services.reminders import ScheduleSpec
from promisebot.services.trackers import load_demo
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Act, Views

sys.path.insert(0, str(Path(__file__).parent))
from dataset import free_port, load_rows, memory_mb, postgres_database, promise_rows

SECRET = "soak-secret"
EDITORS = [f"U_ED{n:02d}" for n in range(10)]
REVIEW_CHANNEL = "C_SOAK_REVIEW"
REPLICA_APP = "promisebot-soak-replica"
DIGEST_CHANNELS = ["C_DIGEST_A", "C_DIGEST_B", "C_DIGEST_C"]
QUERIES = [
    "police liability", "polise liabilty", "tariffs", "birthright", "border wall", "tips",
    "overtime", "bus lanes", "rent cap", "trump-2025/police-liability", "immig", "housing",
    "promise-42", "energy grants", "schools number 7",
]  # fmt: skip
KINDS = {  # kind: share of the requests
    "lookup": 0.35,
    "propose": 0.10,
    "approve_button": 0.20,
    "approve_reply": 0.15,
    "evidence": 0.10,
    "list": 0.10,
}


@dataclass
class Replica:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def rss_mb(self) -> float:
        return memory_mb(self.process.pid)


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    transport_errors: int = 0
    rerouted: int = 0
    transport_kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unexpected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    approvals_sent: set[tuple[int, str]] = field(default_factory=set)
    replies_sent: set[tuple[int, str, str, str]] = field(default_factory=set)
    duplicates_sent: int = 0

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds * 1000)
            self.statuses[status] += 1
            if status != 200:
                self.unexpected[kind] += 1


def start_replica(env: dict[str, str], folder: Path, number: int, port: int = 0) -> Replica:
    port = port or free_port()
    log = folder / f"replica-{number}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "promisebot", "run", "--http", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    return Replica(port, process, log)


def wait_healthy(replicas: list[Replica], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for replica in replicas:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{replica.port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if replica.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"replica on {replica.port} did not start:\n{replica.log.read_text()}"
                )
            time.sleep(0.2)


def field(name: str, **state: object) -> dict[str, object]:
    """One input's state in a submitted propose modal (`view.state.values[block]`)."""
    return {f"proposal_form.{name}": state}


class Load:
    """Sends one request of a chosen kind to the next replica and records what it sent."""

    def __init__(self, db: Database, fake: FakeSlack, replicas: list[Replica]) -> None:
        self.db = db
        self.fake = fake
        self.replicas = replicas
        self.tally = Tally()
        self._next = 0
        self._lock = threading.Lock()
        with db.reading() as uow:
            rows = uow.session.execute(
                text(
                    "SELECT p.id, t.slug, p.external_id "
                    "FROM promises p JOIN trackers t ON t.id = p.tracker_id"
                )
            ).all()
        self.promises = [(int(row[0]), f"{row[1]}/{row[2]}") for row in rows]

    def driver(self) -> SlackDriver:
        with self._lock:
            replica = self.replicas[self._next % len(self.replicas)]
            self._next += 1
        return SlackDriver(replica.events_url, SECRET, self.fake)

    def run(self, kind: str, rng: random.Random) -> None:
        started = time.perf_counter()
        # Like a load balancer, a request a replica refused (it is restarting) goes to the next.
        for _ in range(len(self.replicas)):
            with self.driver() as driver:
                try:
                    status = getattr(self, kind)(driver, rng)
                except httpx.ConnectError:
                    with self.tally.lock:
                        self.tally.rerouted += 1
                    continue
                except httpx.TransportError as error:
                    with self.tally.lock:
                        self.tally.transport_kinds[type(error).__name__] += 1
                    break
            self.tally.record(kind, time.perf_counter() - started, status)
            return
        with self.tally.lock:
            self.tally.transport_errors += 1

    def lookup(self, driver: SlackDriver, rng: random.Random) -> int:
        return driver.command(rng.choice(QUERIES), user="U_REPORTER").status_code

    def list(self, driver: SlackDriver, rng: random.Random) -> int:
        text_ = rng.choice(["list stalled", "stats", "list kept trump-2025", "help"])
        return driver.command(text_, user="U_REPORTER").status_code

    def evidence(self, driver: SlackDriver, rng: random.Random) -> int:
        _, key = rng.choice(self.promises)
        link = f"https://soak.example/{uuid.uuid4().hex[:12]}"
        return driver.command(
            f"evidence {key} {link} soak note", user=rng.choice(EDITORS)
        ).status_code

    def propose(self, driver: SlackDriver, rng: random.Random) -> int:
        promise_id, _ = rng.choice(self.promises[:200])
        with self.db.reading() as uow:
            current = uow.session.execute(
                text("SELECT current_rating FROM promises WHERE id = :id"), {"id": promise_id}
            ).scalar_one()
        target = rng.choice([rating for rating in Rating if rating.value != current])
        values = {
            "rating": field(
                "rating", type="static_select", selected_option={"value": target.value}
            ),
            "rationale": field("rationale", type="plain_text_input", value="Soak: it moved."),
            "links": field("links", type="plain_text_input", value=None),
            "effective_on": field("effective_on", type="datepicker", selected_date=None),
        }
        metadata = f'{{"id": {promise_id}, "channel": "{REVIEW_CHANNEL}"}}'
        return driver.view_submission(
            Views.PROPOSE, values, user=rng.choice(EDITORS), private_metadata=metadata
        ).status_code

    def _open_proposal(self, rng: random.Random) -> tuple[int, str, str, str] | None:
        with self.db.reading() as uow:
            rows = uow.session.execute(
                text(
                    "SELECT id, channel_id, message_ts, proposed_by FROM proposals "
                    "WHERE status = 'open' AND message_ts IS NOT NULL"
                )
            ).all()
        if not rows:
            return None
        row = rng.choice(rows)
        return int(row[0]), str(row[1]), str(row[2]), str(row[3])

    def _approver(self, proposer: str, rng: random.Random) -> str:
        return rng.choice([editor for editor in EDITORS if editor != proposer])

    def approve_button(self, driver: SlackDriver, rng: random.Random) -> int:
        found = self._open_proposal(rng)
        if found is None:
            return self.lookup(driver, rng)
        proposal_id, channel, ts, proposer = found
        user = self._approver(proposer, rng)
        message = self.fake.message(channel, ts)
        times = 2 if rng.random() < 0.25 else 1  # a double click
        status = 200
        for _ in range(times):
            response = driver.block_action(
                Act.APPROVE, str(proposal_id), user=user, channel=channel, message=message
            )
            status = max(status, response.status_code)
        with self.tally.lock:
            self.tally.approvals_sent.add((proposal_id, user))
            self.tally.duplicates_sent += times - 1
        return status

    def approve_reply(self, driver: SlackDriver, rng: random.Random) -> int:
        found = self._open_proposal(rng)
        if found is None:
            return self.lookup(driver, rng)
        proposal_id, channel, ts, proposer = found
        user = self._approver(proposer, rng)
        event_id = f"Ev{uuid.uuid4().hex[:12].upper()}"
        word = rng.choice(["approve", "lgtm", ":+1:", "approved"])
        event = driver.thread_message_event(word, user=user, channel=channel, thread_ts=ts)
        status = driver.event(event, event_id=event_id).status_code
        if rng.random() < 0.25:  # Slack retrying the same delivery
            retry = driver.signed(retry_num=1).event(event, event_id=event_id)
            status = max(status, retry.status_code)
            with self.tally.lock:
                self.tally.duplicates_sent += 1
        with self.tally.lock:
            self.tally.approvals_sent.add((proposal_id, user))
            self.tally.replies_sent.add((proposal_id, user, channel, ts))
        return status


def create_schedules(db: Database, url: str, fire_in: float) -> tuple[str, float]:
    """Daily schedules at the first whole minute at least `fire_in` seconds away."""
    settings = load_settings(database_url=url, timezone="UTC", editors=EDITORS[0])
    service = build_services(settings, db, utcnow).schedules
    target = utcnow() + timedelta(seconds=fire_in + 60)
    fire = target.replace(second=0, microsecond=0)
    spec = ScheduleSpec(tuple(range(7)), fire.hour, fire.minute, 30)
    for channel in DIGEST_CHANNELS:
        service.create(channel, EDITORS[0], spec, timezone="UTC")
    return f"{fire:%H:%M} UTC", fire.timestamp()


def inject_faults(
    load: Load, replicas: list[Replica], env: dict[str, str], folder: Path, db: Database
) -> list[str]:
    notes = []
    time.sleep(3)
    load.fake.fail_next("chat.postMessage", status=429, times=10, retry_after=1)
    load.fake.fail_next("chat.update", status=500, times=10)
    notes.append("Slack answered 429 x10 (chat.postMessage) and 500 x10 (chat.update)")
    time.sleep(3)
    victim = replicas[1]
    victim.process.send_signal(signal.SIGTERM)
    victim.process.wait(timeout=30)
    replicas[1] = start_replica(env, folder, 1, port=victim.port)
    wait_healthy([replicas[1]])
    notes.append(f"restarted the replica on port {victim.port} (exit {victim.process.returncode})")
    time.sleep(3)
    with db.engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :app"
            ),
            {"app": REPLICA_APP},
        ).scalar_one()
        connection.commit()
    notes.append(f"cut the replicas' {killed} database connections")
    return notes


def verify(
    db: Database, fake: FakeSlack, tally: Tally, fire_at: float
) -> list[tuple[str, bool, str]]:
    checks: list[tuple[str, bool, str]] = []
    with db.reading() as uow:
        q = lambda sql: uow.session.execute(text(sql)).all()  # noqa: E731
        duplicates = q(
            "SELECT proposal_id, reviewer FROM reviews GROUP BY 1, 2 HAVING count(*) > 1"
        )
        stored = {
            (int(p), str(r))
            for p, r in q("SELECT proposal_id, reviewer FROM reviews WHERE verdict = 'approve'")
        }
        roots = {
            (str(c), str(t)): int(i)
            for i, c, t in q(
                "SELECT id, channel_id, message_ts FROM proposals WHERE message_ts IS NOT NULL"
            )
        }
        reached = q(
            "SELECT p.id, p.status, "
            "(SELECT count(*) FROM rating_changes c WHERE c.proposal_id = p.id) "
            "FROM proposals p WHERE (SELECT count(*) FROM reviews r WHERE r.proposal_id = p.id "
            "AND r.verdict = 'approve') >= p.approvals_required"
        )
        changes_without_approval = q(
            "SELECT c.id FROM rating_changes c JOIN proposals p ON p.id = c.proposal_id "
            "WHERE p.status <> 'approved'"
        )
        runs = q("SELECT schedule_id, period_key, posted_at IS NOT NULL FROM digest_runs")
        counts = q("SELECT status, count(*) FROM proposals GROUP BY status")
    acknowledged = set()
    for call in fake.calls("chat.postMessage"):
        thread = call.args.get("thread_ts")
        body = str(call.args.get("text", ""))
        if thread and " approved (" in body and body.count("<@") >= 1:
            user = body.split("<@", 1)[1].split(">", 1)[0]
            proposal = roots.get((str(call.response.get("channel")), str(thread)))
            if proposal is not None:
                acknowledged.add((proposal, user))
    lost = acknowledged - stored
    # A thread reply that was neither stored nor answered to its author was dropped silently.
    answered = {
        (str(call.args.get("user")), str(call.args.get("channel")), str(call.args.get("thread_ts")))
        for call in fake.calls("chat.postEphemeral")
    }
    silent = [
        (proposal, user)
        for proposal, user, channel, ts in tally.replies_sent
        if (proposal, user) not in stored and (user, channel, ts) not in answered
    ]
    posted_roots = {
        (str(call.response.get("channel")), str(call.response.get("ts")))
        for call in fake.calls("chat.postMessage")
        if call.args.get("channel") == REVIEW_CHANNEL
        and not call.args.get("thread_ts")
        and call.response.get("ok")
    }
    unrecorded = posted_roots - set(roots)
    checks.append(("no review stored twice", not duplicates, f"{len(duplicates)} duplicates"))
    checks.append((
        "every acknowledged approval is stored",
        not lost,
        f"{len(acknowledged)} acknowledged, {len(stored)} stored, "
        f"{len(tally.approvals_sent)} distinct sent, {len(lost)} lost",
    ))  # fmt: skip
    checks.append((
        "no thread reply dropped silently (stored, or its author told)",
        not silent,
        f"{len(tally.replies_sent)} approval replies, {len(silent)} neither stored nor answered",
    ))  # fmt: skip
    checks.append((
        "every posted proposal root is recorded",
        not unrecorded,
        f"{len(posted_roots)} roots posted, {len(unrecorded)} without a recorded ts",
    ))  # fmt: skip
    wrong = [
        row
        for row in reached
        if not ((row[1] == "approved" and row[2] == 1) or (row[1] == "stale" and row[2] == 0))
    ]
    checks.append((
        "every proposal that reached its approvals applied exactly once (or went stale)",
        not wrong and not changes_without_approval,
        f"{len(reached)} reached; statuses { {str(s): int(n) for s, n in counts} }",
    ))  # fmt: skip
    posts = dict.fromkeys(DIGEST_CHANNELS, 0)
    for call in fake.calls("chat.postMessage"):
        channel = str(call.args.get("channel"))
        if channel in posts:
            posts[channel] += 1
    fired = time.time() > fire_at
    digest_ok = fired and all(n == 1 for n in posts.values()) and len(runs) == len(DIGEST_CHANNELS)
    checks.append((
        "each digest period posted exactly once across replicas",
        digest_ok and all(bool(r[2]) for r in runs),
        f"posts per channel {posts}, claim rows {len(runs)}",
    ))  # fmt: skip
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    checks.append(
        (
            "zero 5xx",
            server_errors == 0,
            f"{server_errors} 5xx, {tally.transport_errors} transport errors "
            f"{dict(tally.transport_kinds)}; "
            f"non-200 by kind {dict(tally.unexpected)}",
        )
    )
    sorry = sum("something went wrong" in str(c.args.get("text", "")).lower() for c in fake.calls())
    # The database blip of the fault run lasts well under the retry budget: nobody is told
    # to try again because of it.
    checks.append(("no 'something went wrong' answers", sorry == 0, f"{sorry} answers"))
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--promises", type=int, default=10_000)
    parser.add_argument(
        "--short", action="store_true", help="a CI-sized run: 400 requests, 2,000 promises"
    )
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.short:
        args.requests, args.promises = min(args.requests, 400), min(args.promises, 2000)
    rng = random.Random(11)
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"promisebot-soak-{uuid.uuid4().hex[:6]}"
    folder.mkdir(parents=True)

    with postgres_database(args.postgres) as url, FakeSlack() as fake:
        migrate.upgrade(url)
        db = Database(url)
        load_demo(db)
        load_rows(db, promise_rows(args.promises))
        when, fire_at = create_schedules(db, url, fire_in=20)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROMISEBOT_"))}
        env.update(
            # Named, so the fault run can cut the replicas' connections and only theirs.
            DATABASE_URL=f"{url}?application_name={REPLICA_APP}",
            SLACK_BOT_TOKEN="xoxb-soak",
            SLACK_SIGNING_SECRET=SECRET,
            PROMISEBOT_SLACK_API_URL=fake.api_url,
            PROMISEBOT_EDITORS=",".join(EDITORS),
            PROMISEBOT_REVIEW_CHANNEL=REVIEW_CHANNEL,
            PROMISEBOT_APPROVALS_REQUIRED="2",
            PROMISEBOT_FETCH_LINK_TITLES="false",
            PROMISEBOT_HTTP_THREADS="16",
        )
        replicas = [start_replica(env, folder, n) for n in range(args.replicas)]
        try:
            wait_healthy(replicas)
            load = Load(db, fake, replicas)
            kinds = rng.choices(list(KINDS), weights=list(KINDS.values()), k=args.requests)
            seeds = [rng.random() for _ in kinds]
            notes: list[str] = []
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                faults = (
                    pool.submit(inject_faults, load, replicas, env, folder, db)
                    if args.faults
                    else None
                )
                list(
                    pool.map(
                        lambda pair: load.run(pair[0], random.Random(pair[1])),
                        zip(kinds, seeds, strict=True),
                    )
                )
                if faults is not None:
                    notes = faults.result()
            elapsed = time.perf_counter() - started
            rss = [replica.rss_mb() for replica in replicas]
            print(f"waiting for the digests due at {when} …", flush=True)
            while time.time() < fire_at + 10:
                time.sleep(1)
            time.sleep(3)
            checks = verify(db, fake, load.tally, fire_at)
        finally:
            for replica in replicas:
                replica.process.send_signal(signal.SIGTERM)
            codes = [replica.process.wait(timeout=60) for replica in replicas]
            db.dispose()

    tally = load.tally
    total = sum(len(values) for values in tally.latencies.values())
    print(
        f"\n{args.replicas} replicas · PostgreSQL · {args.promises:,} promises + demo · "
        f"concurrency {args.concurrency}"
    )
    print(
        f"{total} requests in {elapsed:.1f} s = {total / elapsed:.0f} req/s; "
        f"{tally.duplicates_sent} duplicate deliveries; statuses {dict(tally.statuses)}; "
        f"{tally.rerouted} refused connections sent to another replica"
    )
    for kind, values in sorted(tally.latencies.items()):
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        print(
            f"  {kind:<15} n={len(values):>5}  "
            f"p50 {statistics.median(values):7.1f} ms  p99 {p99:7.1f} ms"
        )
    print(f"RSS per replica after the load: {', '.join(f'{mb:.0f} MB' for mb in rss)}")
    for note in notes:
        print(f"fault: {note}")
    ok = True
    for name, passed, detail in checks:
        ok &= passed
        print(f"[{'ok' if passed else 'FAIL'}] {name}: {detail}")
    clean = all(code == 0 for code in codes)
    print(f"[{'ok' if clean else 'FAIL'}] replicas stopped cleanly on SIGTERM: exit codes {codes}")
    if not (ok and clean):
        print(f"replica logs: {folder}")
    return 0 if ok and clean else 1


if __name__ == "__main__":
    sys.exit(main())
