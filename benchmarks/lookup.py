"""Lookup latency over signed HTTP: promisebot with 10,000 promises vs a bare Bolt app.

Run: .venv/bin/python benchmarks/lookup.py [--requests 500] [--promises 10000]
Both apps run in this process behind the same cheroot server; requests are sent one at a
time, so the figures are time-to-answer, not throughput.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from promisebot.bootstrap import build_runtime
from promisebot.db import migrate
from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.settings import load_settings
from promisebot.slack.server import HttpServer, WsgiApp

sys.path.insert(0, str(Path(__file__).parent))
from dataset import TOPICS, bare_app, load_rows, percentile, promise_rows

SECRET = "benchmark-secret"


def measure(driver: SlackDriver, queries: list[str]) -> list[float]:
    timings = []
    for query in queries:
        started = time.perf_counter()
        response = driver.command(query)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--promises", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(3)

    with tempfile.TemporaryDirectory() as folder, FakeSlack() as fake:
        url = f"sqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        settings = load_settings(
            database_url=url,
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
            editors="U_ED1",
        )
        runtime = build_runtime(settings)
        started = time.perf_counter()
        load_rows(runtime.db, promise_rows(args.promises))
        print(f"loaded {args.promises} promises in {time.perf_counter() - started:.1f} s")

        queries = []
        for _ in range(args.requests):
            kind = rng.randrange(3)
            n = rng.randrange(args.promises)
            if kind == 0:
                queries.append(f"promise-{n}")
            elif kind == 1:
                queries.append(f"{rng.choice(TOPICS)} number {n}")
            else:
                queries.append(f"{rng.choice(TOPICS)[:-1]}s")  # typo-ish, many matches

        servers = {
            "promisebot": HttpServer(
                WsgiApp(runtime.slack_app(), runtime.db.ping), host="127.0.0.1", port=0
            ),
            "bare Bolt": HttpServer(
                WsgiApp(bare_app(fake.api_url, SECRET), lambda: True), host="127.0.0.1", port=0
            ),
        }
        results: dict[str, list[float]] = {}
        for name, server in servers.items():
            server.start()
            with SlackDriver(f"{server.url}/slack/events", SECRET, fake) as driver:
                measure(driver, queries[:20])  # warm up: index build, connections
                results[name] = measure(driver, queries)
            server.stop()
        runtime.close()

    for name, timings in results.items():
        print(
            f"{name:>10}: p50 {statistics.median(timings):6.1f} ms   "
            f"p99 {percentile(timings, 0.99):6.1f} ms   max {max(timings):6.1f} ms"
        )
    ratio = statistics.median(results["promisebot"]) / statistics.median(results["bare Bolt"])
    print(f"p50 ratio promisebot / bare Bolt: {ratio:.2f}  (target <= 2.0; p99 target < 150 ms)")


if __name__ == "__main__":
    main()
