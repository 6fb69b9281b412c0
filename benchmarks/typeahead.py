"""Typeahead latency over signed HTTP: the promise picker's options (`block_suggestion`)
with 10,000 promises, side by side with a bare Bolt app answering a fixed list.

Run: .venv/bin/python benchmarks/typeahead.py [--requests 1000] [--promises 10000]
Slack waits about 3 s for options but the picker feels slow well before; the aim is
p99 < 100 ms. Requests go one at a time, as keystrokes do, so the figures are time-to-answer.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from slack_bolt import Ack

from promisebot.bootstrap import build_runtime
from promisebot.db import migrate
from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.settings import load_settings
from promisebot.slack.blocks.common import Act
from promisebot.slack.server import HttpServer, WsgiApp

sys.path.insert(0, str(Path(__file__).parent))
from dataset import TOPICS, bare_app, load_rows, percentile, promise_rows

SECRET = "benchmark-secret"
FIXED = [
    {"text": {"type": "plain_text", "text": f"Option {n}"}, "value": str(n)} for n in range(50)
]


def keystrokes(rng: random.Random, promises: int, count: int) -> list[str]:
    """What the picker sends as someone types: growing prefixes, ids, typos, long text."""
    texts: list[str] = []
    while len(texts) < count:
        kind = rng.randrange(4)
        if kind == 0:
            words = f"{rng.choice(TOPICS)} number {rng.randrange(promises)}"
            texts += [words[:end] for end in range(1, len(words) + 1)]
        elif kind == 1:
            texts.append(f"promise-{rng.randrange(promises)}")
        elif kind == 2:
            topic = rng.choice(TOPICS)
            texts.append(topic[:-2] + topic[-1] + topic[-2])  # a swapped pair of letters
        else:
            texts.append(" ".join(rng.choice(TOPICS) for _ in range(rng.randrange(5, 40))))
    return texts[:count]


def measure(driver: SlackDriver, texts: list[str]) -> tuple[list[float], int]:
    timings, most = [], 0
    for text in texts:
        started = time.perf_counter()
        response = driver.block_suggestion(Act.PICK_FOR_EVIDENCE, text)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        most = max(most, len(response.json()["options"]))
    return timings, most


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--promises", type=int, default=10_000)
    args = parser.parse_args()
    texts = keystrokes(random.Random(5), args.promises, args.requests)

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
        load_rows(runtime.db, promise_rows(args.promises))
        baseline = bare_app(fake.api_url, SECRET)

        @baseline.options(re.compile(r".*"))
        def fixed_options(ack: Ack) -> None:
            ack(options=FIXED)

        servers = {
            "promisebot": HttpServer(
                WsgiApp(runtime.slack_app(), runtime.db.ping), host="127.0.0.1", port=0
            ),
            "bare Bolt": HttpServer(WsgiApp(baseline, lambda: True), host="127.0.0.1", port=0),
        }
        results: dict[str, tuple[list[float], int]] = {}
        for name, server in servers.items():
            server.start()
            with SlackDriver(f"{server.url}/slack/events", SECRET, fake) as driver:
                measure(driver, texts[:30])  # warm up: index build, connections
                results[name] = measure(driver, texts)
            server.stop()
        runtime.close()

    print(f"{args.requests} options requests, {args.promises} promises, one at a time")
    for name, (timings, most) in results.items():
        print(
            f"{name:>10}: p50 {statistics.median(timings):6.1f} ms   "
            f"p99 {percentile(timings, 0.99):6.1f} ms   max {max(timings):6.1f} ms   "
            f"most options {most}"
        )
    p99 = percentile(results["promisebot"][0], 0.99)
    print(f"promisebot p99 {p99:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
