"""Throughput: promisebot's lookups against a bare Bolt app, over signed HTTP and Socket Mode.

Run: .venv/bin/python benchmarks/throughput.py [--promises 10000] [--requests 2000]
     [--single 500] [--clients 32] [--mode http|socket|both] [--sqlite | --postgres URL]
     [--quick] [--aliases N]

Each app is its own process on 127.0.0.1, so the load generator here does not share their
interpreter: promisebot is `promisebot run --http` (or `promisebot run` with an app token,
for Socket Mode) with the real WebClient pointed at a fake Slack; the baseline is a Bolt app
whose `/promise` only acks a short text, behind the same adapter and server (Bolt's WSGI
adapter under cheroot with 16 threads) or the same Socket Mode handler. Both get the same
distinct queries (ids, and two or three words of the dataset's vocabulary, some misspelt),
so no cache can answer for the search; every answer is checked, and wrong ones count as
errors. Phases: one client at a time (the apps take turns query by query), then `--clients`
at once (each app twice, in the order bare, promisebot, promisebot, bare). `--aliases N`
gives N promises an alias in the imported file (desk words, capitalised names whose
acronyms get indexed, shorthand) and teaches a fifth as many queries through editors'
picks, to compare lookups with and without alias tokens on the same queries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from promisebot.db import migrate
from promisebot.db.uow import Database
from promisebot.domain import utcnow
from promisebot.sandbox import FakeSlack, FakeSocketMode, SlackDriver
from promisebot.services.lookup import LookupService
from promisebot.services.lookup.aliases import AliasService
from promisebot.services.permissions import EditorDirectory, Permissions

sys.path.insert(0, str(Path(__file__).parent))
from dataset import (
    OBJECTS,
    POSTGRES_ADMIN_URL,
    TOPICS,
    VERBS,
    bare_app,
    free_port,
    load_rows,
    memory_mb,
    percentile,
    postgres_database,
    postgres_reachable,
    promise_rows,
    sqlite_database,
)

SECRET = "throughput-secret"
APP_TOKEN = "xapp-throughput"
BARE_REPLY = "Looked up."
FORM = "application/x-www-form-urlencoded"
HTTP_THREADS = 16  # promisebot's default PROMISEBOT_HTTP_THREADS; the baseline gets the same
WARM_UP = 5
ANSWER_TIMEOUT = 10.0
BARE, PROMISEBOT = "bare Bolt", "promisebot"


class WrongAnswer(Exception):
    """The app answered, but not with what a lookup answers."""


# -- queries ---------------------------------------------------------------------------


def misspell(word: str, rng: random.Random) -> str:
    """One edit inside the word (not at its ends, where it would still be a prefix)."""
    pos = rng.randrange(1, len(word) - 2)
    edit = rng.randrange(3)
    if edit == 0:
        return word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    if edit == 1:
        return word[:pos] + word[pos + 1 :]
    return word[:pos] + rng.choice(string.ascii_lowercase) + word[pos + 1 :]


def lookup_queries(count: int, promises: int, seed: int = 5) -> list[str]:
    """`count` distinct queries: exact ids (a fifth), a topic and a promise's number (a
    fifth), and two or three words of the dataset's vocabulary, a third of those misspelt."""
    rng = random.Random(seed)
    vocabulary = sorted({word.lower() for word in VERBS + TOPICS + OBJECTS})
    queries: dict[str, None] = {}
    for _ in range(count * 50):  # bounded: a repeat is drawn again, never forever
        if len(queries) == count:
            break
        n = rng.randrange(promises)
        roll = rng.random()
        if roll < 0.1:
            query = f"promise-{n}"
        elif roll < 0.2:
            query = f"tracker-{n % 5}/promise-{n}"
        elif roll < 0.4:
            query = f"{rng.choice(TOPICS)} {n}"
        else:
            chosen = rng.sample(vocabulary, rng.choice((2, 3)))
            if roll < 0.6:
                spot = rng.randrange(len(chosen))
                if len(chosen[spot]) >= 5:
                    chosen[spot] = misspell(chosen[spot], rng)
            query = " ".join(chosen)
        queries.setdefault(query)
    if len(queries) < count:
        raise SystemExit(f"only {len(queries)} distinct queries; ask for fewer requests")
    return list(queries)


def add_aliases(rows: list[dict[str, object]], count: int, seed: int = 11) -> None:
    """Give `count` promises, spread evenly, one alias each (in place)."""
    rng = random.Random(seed)
    step = max(len(rows) // max(count, 1), 1)
    for n, row in enumerate(rows[::step][:count]):
        topic, thing = rng.choice(TOPICS), rng.choice(OBJECTS)
        forms = (f"{topic} {thing} deal {n}", f"{topic.title()} Relief Act of {n}", f"xr{n}")
        row["aliases"] = [forms[n % 3]]


def teach_picks(database_url: str, count: int, promises: int) -> None:
    """`count` learned queries, each taught by one editor's pick (which counts double)."""
    db = Database(database_url)
    try:
        editors = EditorDirectory(frozenset({"U_BENCH"}), None, None, ttl_seconds=60, clock=utcnow)
        aliases = AliasService(db, utcnow, Permissions(editors))
        step = max(promises // max(count, 1), 1)
        for n in range(count):
            external_id = f"promise-{n * step}"
            with db.reading() as uow:
                promise = uow.promises.promise_by_key(f"tracker-{n * step % 5}", external_id)
                assert promise is not None
                promise_id = promise.id
            aliases.record_pick(promise_id, f"desk shorthand {n}", "U_BENCH")
    finally:
        db.dispose()


# -- answers ---------------------------------------------------------------------------


def as_message(body: str) -> dict[str, Any]:
    """Bolt acks a bare text as a plain body and anything richer as JSON."""
    if body.startswith("{"):
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {}
    return {"text": body}


def lookup_answer(message: dict[str, Any]) -> str:
    blocks = message.get("blocks") or []
    if any(str(block.get("block_id", "")).startswith("card:") for block in blocks):
        return "card"
    text = str(message.get("text", ""))
    if text.startswith("Several promises match"):
        return "pick-list"
    if text.startswith("No promise matches"):
        return "no match"
    raise WrongAnswer(text[:60] or "empty answer")


def bare_answer(message: dict[str, Any]) -> str:
    if message.get("text") != BARE_REPLY:
        raise WrongAnswer(str(message)[:60])
    return "ack"


# -- the apps ----------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, answer: str | None, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(seconds * 1000)
                self.answers[str(answer)] += 1
            else:
                self.errors[error] += 1

    @property
    def rate(self) -> float:
        return sum(self.answers.values()) / self.elapsed if self.elapsed else 0.0


@dataclass
class Target:
    """One running app and how to ask it one prepared `/promise` payload."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    answer: Callable[[dict[str, Any]], str]
    fake: FakeSlack
    events_url: str = ""
    socket_mode: FakeSocketMode | None = None
    _local: threading.local = field(default_factory=threading.local)
    _drivers: list[SlackDriver] = field(default_factory=list)

    def payload(self, query: str) -> dict[str, str]:
        return self.driver().command_payload(query)

    def driver(self) -> SlackDriver:
        """This thread's driver (its own httpx client) for the app."""
        driver: SlackDriver | None = getattr(self._local, "driver", None)
        if driver is None:
            driver = SlackDriver(self.events_url or "unused", SECRET, self.fake)
            self._local.driver = driver
            self._drivers.append(driver)
        return driver

    def ask(self, payload: dict[str, str], tally: Tally) -> None:
        started = time.perf_counter()
        try:
            if self.socket_mode is None:
                response = self.driver().post(urlencode(payload), FORM)
                if response.status_code != 200:
                    raise WrongAnswer(f"HTTP {response.status_code}")
                message = as_message(response.text)
            else:
                envelope = self.socket_mode.push("slash_commands", payload, timeout=ANSWER_TIMEOUT)
                ack = self.socket_mode.wait_for_ack(envelope, timeout=ANSWER_TIMEOUT)
                message = ack.get("payload") or {}
            answer, error = self.answer(message), None
        except (WrongAnswer, httpx.TransportError, TimeoutError) as problem:
            answer, error = None, f"{type(problem).__name__}: {problem}"[:80]
        tally.record(time.perf_counter() - started, answer, error)

    def close(self) -> None:
        for driver in self._drivers:
            driver.close()


def app_env(database_url: str, fake: FakeSlack, *, socket_mode: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROMISEBOT_"))}
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-throughput",
        SLACK_SIGNING_SECRET=SECRET,
        PROMISEBOT_SLACK_API_URL=fake.api_url,
        PROMISEBOT_EDITORS="U_ED1",
        PROMISEBOT_FETCH_LINK_TITLES="false",
        PROMISEBOT_LOG_LEVEL="WARNING",
    )
    if socket_mode:
        env["SLACK_APP_TOKEN"] = APP_TOKEN
    return env


@contextmanager
def running(name: str, database_url: str, folder: Path, *, socket_mode: bool) -> Iterator[Target]:
    """Start one app (with its own fake Slack, and Socket Mode endpoint) until the block ends."""
    with ExitStack() as stack:
        fake = stack.enter_context(FakeSlack())
        endpoint = stack.enter_context(FakeSocketMode(fake)) if socket_mode else None
        port = 0 if socket_mode else free_port()
        if name == PROMISEBOT:
            command = [sys.executable, "-m", "promisebot", "run"]
            command += [] if socket_mode else ["--http", "--port", str(port)]
        else:
            transport = "socket" if socket_mode else f"http:{port}"
            command = [sys.executable, __file__, "--serve-bare", transport, fake.api_url]
        log = folder / f"{name.replace(' ', '-')}-{'socket' if socket_mode else 'http'}.log"
        process = subprocess.Popen(
            command,
            env=app_env(database_url, fake, socket_mode=socket_mode),
            cwd=folder,  # no .env from the checkout
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        target = Target(
            name,
            process,
            log,
            lookup_answer if name == PROMISEBOT else bare_answer,
            fake,
            events_url="" if socket_mode else f"http://127.0.0.1:{port}/slack/events",
            socket_mode=endpoint,
        )
        stack.callback(stop, process)  # before the fakes: a dropped endpoint means reconnects
        stack.callback(target.close)
        wait_ready(target)
        yield target


def wait_ready(target: Target, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.process.poll() is not None:
            break
        if target.socket_mode is not None:
            try:
                target.socket_mode.wait_for_connection(timeout=0.5)
                return
            except TimeoutError:
                continue
        try:
            health = target.events_url.replace("/slack/events", "/healthz")
            if httpx.get(health, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{target.name} did not start:\n{target.log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def serve_bare(transport: str, api_url: str) -> None:
    """The baseline's process: Bolt with an ack-only `/promise`, until SIGTERM."""
    from promisebot.serve import on_stop_signal
    from promisebot.slack.server import HttpServer, WsgiApp

    app = bare_app(api_url, SECRET, BARE_REPLY)
    if transport.startswith("http:"):
        port = int(transport.removeprefix("http:"))
        server = HttpServer(
            WsgiApp(app, lambda: True), host="127.0.0.1", port=port, threads=HTTP_THREADS
        )
        on_stop_signal(server.stop)
        server.serve()
        return
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, APP_TOKEN, ping_interval=5)
    stopped = threading.Event()
    on_stop_signal(stopped.set)
    handler.connect()  # type: ignore[no-untyped-call]
    stopped.wait()
    handler.close()  # type: ignore[no-untyped-call]


# -- the phases ---------------------------------------------------------------------------


@dataclass
class ModeResult:
    mode: str
    single: dict[str, Tally]
    loaded: dict[str, Tally]
    first_lookup: Tally
    memory: dict[str, tuple[float, float]]  # app: (VmRSS, VmHWM) in MB after the run


def one_client(targets: list[Target], queries: Sequence[str]) -> dict[str, Tally]:
    """Each query to each app in turn, alternating which app goes first."""
    tallies = {target.name: Tally() for target in targets}
    payloads = {target.name: [target.payload(q) for q in queries] for target in targets}
    for i in range(len(queries)):
        for target in targets if i % 2 == 0 else targets[::-1]:
            target.ask(payloads[target.name][i], tallies[target.name])
    return tallies


def client_pool(target: Target, clients: int) -> ThreadPoolExecutor:
    """`clients` threads, each with its driver (and httpx client) made before any timing."""
    pool = ThreadPoolExecutor(clients)
    everyone = threading.Barrier(clients)

    def prepare() -> None:
        target.driver()
        everyone.wait(timeout=30)

    for future in [pool.submit(prepare) for _ in range(clients)]:
        future.result()
    return pool


def concurrent(targets: list[Target], queries: Sequence[str], clients: int) -> dict[str, Tally]:
    """All queries to each app from `clients` threads, in two rounds (A B, then B A)."""
    tallies = {target.name: Tally() for target in targets}
    pools = {target.name: client_pool(target, clients) for target in targets}
    half = len(queries) // 2
    try:
        for round_queries, order in ((queries[:half], targets), (queries[half:], targets[::-1])):
            for target in order:
                payloads = [target.payload(q) for q in round_queries]
                tally = tallies[target.name]
                started = time.perf_counter()
                for _ in pools[target.name].map(lambda p, t=target, y=tally: t.ask(p, y), payloads):
                    pass
                tally.elapsed += time.perf_counter() - started
    finally:
        for pool in pools.values():
            pool.shutdown()
    return tallies


def run_mode(
    mode: str, database_url: str, folder: Path, queries: list[str], args: argparse.Namespace
) -> ModeResult:
    socket_mode = mode == "Socket Mode"
    with ExitStack() as stack:
        targets = [
            stack.enter_context(running(name, database_url, folder, socket_mode=socket_mode))
            for name in (BARE, PROMISEBOT)
        ]
        print(
            f"{mode}: "
            + ", ".join(f"{t.name} pid {t.process.pid}" for t in targets)
            + f"; logs in {folder}",
            flush=True,
        )
        warm, single, loaded = (
            queries[:WARM_UP],
            queries[WARM_UP : WARM_UP + args.single],
            queries[WARM_UP + args.single :],
        )
        first = Tally()
        targets[1].ask(targets[1].payload(warm[0]), first)  # the index is built here
        for target in targets:
            for query in warm[1:]:
                target.ask(target.payload(query), Tally())
        single_tallies = one_client(targets, single)
        loaded_tallies = concurrent(targets, loaded, args.clients)
        memory = {
            t.name: (memory_mb(t.process.pid), memory_mb(t.process.pid, "VmHWM")) for t in targets
        }
    return ModeResult(mode, single_tallies, loaded_tallies, first, memory)


def index_build_seconds(database_url: str, queries: list[str]) -> float:
    """The first search of a fresh LookupService reads the promises and builds the index;
    less the time of a later search, that is the build."""
    db = Database(database_url)
    try:
        service = LookupService(db, utcnow)
        started = time.perf_counter()
        service.search(queries[0])
        first = time.perf_counter() - started
        later = []
        for query in queries[1:6]:
            started = time.perf_counter()
            service.search(query)
            later.append(time.perf_counter() - started)
        return first - statistics.median(later)
    finally:
        db.dispose()


# -- report ------------------------------------------------------------------------------


def print_report(
    results: list[ModeResult], args: argparse.Namespace, database: str, build: float
) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\n{args.promises:,} promises ({args.aliases} aliases) on {database}; "
        f"{args.single} one-client lookups and {args.requests} at {args.clients} clients "
        f"per app; load average {load}"
    )
    print(
        f"index build (first search of a fresh LookupService, less a later search): {build:.2f} s"
    )
    print(
        "\n| transport | app | 1 client p50 | p99 | lookups/s at "
        f"{args.clients} | errors | answers | RSS after (peak) |"
    )
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for result in results:
        for name in (BARE, PROMISEBOT):
            single, loaded = result.single[name], result.loaded[name]
            errors = single.errors + loaded.errors
            answers = single.answers + loaded.answers
            rss, peak = result.memory[name]
            print(
                f"| {result.mode} | {name} | {statistics.median(single.latencies):.1f} ms | "
                f"{percentile(single.latencies, 0.99):.1f} ms | {loaded.rate:.0f} | "
                f"{sum(errors.values())} | "
                f"{', '.join(f'{k} {v}' for k, v in sorted(answers.items()))} | "
                f"{rss:.0f} MB ({peak:.0f}) |"
            )
    print()
    for result in results:
        bare, bot = result.single[BARE], result.single[PROMISEBOT]
        p50 = statistics.median(bot.latencies) / statistics.median(bare.latencies)
        rate = result.loaded[PROMISEBOT].rate / result.loaded[BARE].rate
        first = result.first_lookup
        first_text = (
            f"{first.latencies[0]:.0f} ms" if first.latencies else f"failed ({list(first.errors)})"
        )
        print(
            f"{result.mode}: p50 ratio promisebot/bare {p50:.2f} (target <= 0.5); "
            f"lookups/s ratio {rate:.2f} (target >= 0.8 at 10k, >= 0.5 at 100k); "
            f"first lookup after start {first_text}"
        )
        for name in (BARE, PROMISEBOT):
            errors = result.single[name].errors + result.loaded[name].errors
            for error, n in errors.most_common(5):
                print(f"  {name} error x{n}: {error}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--promises", type=int, default=10_000)
    parser.add_argument(
        "--requests", type=int, default=2000, help="lookups per app at --clients at once"
    )
    parser.add_argument("--single", type=int, default=500, help="one-client lookups per app")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--mode", choices=("http", "socket", "both"), default="both")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--sqlite", action="store_true", help="a SQLite file (the default)")
    where.add_argument(
        "--postgres",
        nargs="?",
        const=POSTGRES_ADMIN_URL,
        metavar="URL",
        help=f"a database created and dropped on this server (default {POSTGRES_ADMIN_URL})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 2,000 promises, 50 + 200 lookups"
    )
    parser.add_argument(
        "--aliases",
        type=int,
        default=0,
        help="promises with an alias (a fifth as many learned)",
    )
    parser.add_argument(
        "--serve-bare", nargs=2, metavar=("TRANSPORT", "API_URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare(*args.serve_bare)
        return
    if args.quick:
        args.promises, args.single, args.requests = 2000, 50, 200
    if args.postgres and not postgres_reachable(args.postgres):
        raise SystemExit(f"cannot reach PostgreSQL at {args.postgres}")
    modes = {"http": ["HTTP"], "socket": ["Socket Mode"], "both": ["HTTP", "Socket Mode"]}
    per_mode = WARM_UP + args.single + args.requests
    queries = lookup_queries(per_mode * len(modes[args.mode]), args.promises)

    database = "PostgreSQL" if args.postgres else "SQLite"
    with (
        postgres_database(args.postgres) if args.postgres else sqlite_database() as url,
        tempfile.TemporaryDirectory(prefix="promisebot-throughput-") as folder,
    ):
        migrate.upgrade(url)
        db = Database(url)
        started = time.perf_counter()
        rows = promise_rows(args.promises)
        add_aliases(rows, args.aliases)
        load_rows(db, rows)
        db.dispose()
        teach_picks(url, args.aliases // 5, args.promises)
        print(
            f"loaded {args.promises:,} promises ({args.aliases} with an alias, "
            f"{args.aliases // 5} learned queries) in {time.perf_counter() - started:.1f} s"
        )
        build = index_build_seconds(url, [f"probe query {n}" for n in range(6)])
        results = [
            run_mode(mode, url, Path(folder), queries[i * per_mode : (i + 1) * per_mode], args)
            for i, mode in enumerate(modes[args.mode])
        ]
    print_report(results, args, database, build)


if __name__ == "__main__":
    main()
