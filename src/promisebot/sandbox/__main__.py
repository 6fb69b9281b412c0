"""Stand-alone fake Slack and a signed-request sender, for running real replicas locally.

    python -m promisebot.sandbox fake-slack --port 8999
    python -m promisebot.sandbox send --url http://127.0.0.1:3001/slack/events \\
        --secret "$SLACK_SIGNING_SECRET" --user U_ALICE "/promise police"
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack


def serve_fake(port: int) -> int:
    with FakeSlack(port=port) as fake:
        print(f"fake Slack Web API at {fake.api_url} (Ctrl-C to stop)", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.5)
                calls = fake.calls()
                for call in calls[seen:]:
                    text = str(call.args.get("text", ""))[:100]
                    print(f"{call.method} {call.args.get('channel', '')} {text}", flush=True)
                seen = len(calls)
        except KeyboardInterrupt:
            return 0


def send(url: str, secret: str, user: str, channel: str, text: str) -> int:
    with SlackDriver(url, secret) as driver:
        response = driver.command(text.removeprefix("/promise").strip(), user=user, channel=channel)
    print(f"HTTP {response.status_code}")
    if response.content:
        body = response.json() if "json" in response.headers.get("content-type", "") else None
        print(json.dumps(body, indent=2) if body is not None else response.text)
    return 0 if response.status_code == 200 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m promisebot.sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    fake = commands.add_parser("fake-slack", help="serve a fake Slack Web API on 127.0.0.1")
    fake.add_argument("--port", type=int, default=8999)
    sender = commands.add_parser("send", help="send a signed /promise command to a bot")
    sender.add_argument("--url", required=True, help="the bot's /slack/events URL")
    sender.add_argument("--secret", required=True, help="the bot's SLACK_SIGNING_SECRET")
    sender.add_argument("--user", default="U_ALICE")
    sender.add_argument("--channel", default="C_NEWSROOM")
    sender.add_argument("text")
    args = parser.parse_args(argv)
    if args.command == "fake-slack":
        return serve_fake(args.port)
    return send(args.url, args.secret, args.user, args.channel, args.text)


if __name__ == "__main__":
    sys.exit(main())
