"""`promisebot sandbox`: the real app against the fake Slack, driven from a terminal prompt.

Type `/promise police` as a chosen user, press a button by its number, reply in a proposal's
thread, and see every message the bot posts rendered readably.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promisebot.bootstrap import Runtime, build_runtime
from promisebot.db import migrate
from promisebot.sandbox.driver import SlackDriver
from promisebot.sandbox.fake_slack import FakeSlack, RecordedCall
from promisebot.sandbox.render import Button, Rendering, render_blocks
from promisebot.scheduler.notifications import NotificationSender
from promisebot.services.trackers import load_demo
from promisebot.settings import load_settings
from promisebot.slack.server import HttpServer, WsgiApp

CHANNEL = "C_NEWSROOM"
USERS = {"U_ALICE": "editor", "U_BOB": "editor", "U_CARLA": "editor", "U_DAN": "reporter"}
HELP = """\
  /promise <text>      run the slash command (try: /promise police liability)
  <number>             press button <number> from the output above
  reply <text>         reply in the last proposal thread (e.g. `reply approve`)
  as <USER>            act as another user: U_ALICE, U_BOB, U_CARLA (editors), U_DAN (reporter)
  home                 open the App Home tab
  (followers' notifications are sent after each step and shown as direct messages;
   try: as U_DAN, /promise follow police-liability, then propose and approve as editors)
  help · quit"""

Ask = Callable[[str], str]


@dataclass
class Sandbox:
    fake: FakeSlack
    runtime: Runtime
    driver: SlackDriver
    user: str = "U_ALICE"
    buttons: tuple[Button, ...] = ()
    last_thread: str | None = None
    notifications: NotificationSender | None = None
    _seen: int = 0

    def command(self, text: str, ask: Ask | None = None) -> list[str]:
        text = text.strip().removeprefix("/promise").strip()
        response = self.driver.command(text, user=self.user, channel=CHANNEL)
        rendering = Rendering()
        if response.status_code != 200:
            rendering.lines.append(f"  (the bot answered HTTP {response.status_code})")
        elif response.content:
            body = response.json()
            rendering.lines.append("ephemeral reply (only you can see this):")
            render_blocks(body.get("blocks") or [], rendering, channel=CHANNEL, is_ephemeral=True)
            if not body.get("blocks"):
                rendering.lines.append(f"  {body.get('text', '')}")
        return self._finish(rendering, ask=ask)

    def press(self, number: int, ask: Ask | None = None) -> list[str]:
        if not 1 <= number <= len(self.buttons):
            return [f"  There is no button {number}."]
        button = self.buttons[number - 1]
        value = button.value
        if button.options:
            value = self._choose(button, ask)
        self.driver.block_action(
            button.action_id,
            value,
            user=self.user,
            channel=button.channel,
            message=button.message,
            view=button.view,
            action_type=button.kind,
            container=(
                {
                    "type": "message",
                    "is_ephemeral": True,
                    "channel_id": button.channel,
                    "message_ts": "0",
                }
                if button.is_ephemeral
                else None
            ),
        )
        return self._finish(Rendering(), ask=ask)

    def reply(self, text: str) -> list[str]:
        if self.last_thread is None:
            return ["  No proposal thread yet: propose a change first."]
        channel = self._thread_channel()
        self.driver.event(
            self.driver.thread_message_event(
                text, user=self.user, channel=channel, thread_ts=self.last_thread
            )
        )
        return self._finish(Rendering())

    def home(self) -> list[str]:
        self.driver.event(self.driver.app_home_opened_event(self.user))
        return self._finish(Rendering())

    def _thread_channel(self) -> str:
        for call in reversed(self.fake.calls("chat.postMessage")):
            if call.response.get("ts") == self.last_thread:
                return str(call.response.get("channel"))
        return CHANNEL

    def _choose(self, button: Button, ask: Ask | None) -> str:
        if ask is None:
            return button.options[0][1]
        for index, (label, _) in enumerate(button.options, 1):
            print(f"    {index}. {label}")
        picked = ask("    choose: ").strip()
        index = int(picked) - 1 if picked.isdigit() else 0
        return button.options[max(0, min(index, len(button.options) - 1))][1]

    def _finish(self, rendering: Rendering, ask: Ask | None = None) -> list[str]:
        if self.notifications is not None:
            self._wait_quiet()  # the work after the ack has committed its changes
            # What the scheduler would send within PROMISEBOT_NOTIFY_INTERVAL_SECONDS.
            self.notifications.run_once()
        calls = self._new_calls()
        for call in calls:
            self._render_call(call, rendering)
        self.buttons = tuple(rendering.buttons) or self.buttons
        lines = rendering.lines
        if ask is not None:
            for call in calls:
                if call.method in ("views.open", "views.push"):
                    lines += self._fill_modal(call, ask)
        return lines

    def _new_calls(self, quiet: float = 0.35, limit: float = 4.0) -> list[RecordedCall]:
        """Calls made since the last look, once the bot has gone quiet (work after the ack)."""
        self._wait_quiet(quiet, limit)
        calls = self.fake.calls()[self._seen :]
        self._seen += len(calls)
        return [call for call in calls if call.method not in ("auth.test", "chat.getPermalink")]

    def _wait_quiet(self, quiet: float = 0.35, limit: float = 4.0) -> None:
        deadline = time.monotonic() + limit
        count = len(self.fake.calls())
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = len(self.fake.calls())
            if now == count:
                break
            count = now

    def _render_call(self, call: RecordedCall, rendering: Rendering) -> None:
        args, method = call.args, call.method
        blocks = args.get("blocks") or []
        if method == "chat.postMessage":
            channel = str(call.response.get("channel", args.get("channel")))
            where = f"in thread {args['thread_ts']}" if args.get("thread_ts") else "message"
            if channel.startswith("D"):
                rendering.lines.append(f"direct message to {channel[1:]} (the app's Messages tab):")
            else:
                rendering.lines.append(f"posted to {channel} ({where}):")
            message = {**call.response.get("message", {}), "ts": call.response.get("ts")}
            if not args.get("thread_ts") and any(
                element.get("action_id", "").startswith("proposal.")
                for block in blocks
                for element in block.get("elements", [])
            ):
                self.last_thread = str(call.response.get("ts"))
            render_blocks(blocks, rendering, channel=channel, message=message)
        elif method == "chat.update":
            rendering.lines.append(f"updated message {args.get('ts')} in {args.get('channel')}:")
            message = {"ts": args.get("ts"), "blocks": blocks, "text": args.get("text", "")}
            render_blocks(blocks, rendering, channel=str(args.get("channel")), message=message)
        elif method in ("chat.postEphemeral", "response_url"):
            visible = args.get("response_type") == "in_channel"
            rendering.lines.append("posted to the channel:" if visible else "ephemeral reply:")
            render_blocks(blocks, rendering, channel=CHANNEL, is_ephemeral=not visible)
        elif method in ("views.open", "views.push", "views.update", "views.publish"):
            view = args.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            title = (view.get("title") or {}).get("text", "App Home")
            rendering.lines.append(f"{method}: {title}")
            stored = {**view, "id": (call.response.get("view") or {}).get("id")}
            render_blocks(view.get("blocks") or [], rendering, channel=None, view=stored)
        if not blocks and args.get("text") and method.startswith("chat."):
            rendering.lines.append(f"  {args['text']}")

    def _fill_modal(self, call: RecordedCall, ask: Ask) -> list[str]:
        """Ask for each input of an opened modal, then submit it like Slack would."""
        view = call.args.get("view") or {}
        view_id = str((call.response.get("view") or {}).get("id", "V0001"))
        values: dict[str, dict[str, Any]] = {}
        print("  Fill in the form (empty = leave blank):")
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block.get("element", {})
            label = (block.get("label") or {}).get("text", "")
            action_id = element.get("action_id", "value")
            if element.get("type") == "static_select":
                options = element.get("options", [])
                for index, option in enumerate(options, 1):
                    print(f"    {index}. {option['text']['text']}")
                picked = ask(f"  {label} (number): ").strip()
                number = int(picked) if picked.isdigit() else 0
                chosen = options[number - 1] if 1 <= number <= len(options) else None
                state: dict[str, Any] = {"type": "static_select", "selected_option": chosen}
            elif element.get("type") == "datepicker":
                state = {
                    "type": "datepicker",
                    "selected_date": ask(f"  {label} (YYYY-MM-DD): ") or None,
                }
            else:
                state = {"type": "plain_text_input", "value": ask(f"  {label}: ") or None}
            values[str(block.get("block_id"))] = {action_id: state}
        response = self.driver.view_submission(
            str(view.get("callback_id", "")),
            values,
            user=self.user,
            private_metadata=str(view.get("private_metadata", "")),
            view_id=view_id,
        )
        lines: list[str] = []
        if response.content and response.json().get("response_action") == "errors":
            for field, problem in response.json().get("errors", {}).items():
                lines.append(f"  ! {field}: {problem}")
        return lines + self._finish(Rendering())


@contextmanager
def open_sandbox(database: Path, user: str | None = None) -> Iterator[Sandbox]:
    url = f"sqlite:///{database}"
    migrate.upgrade(url)
    with FakeSlack() as fake:
        secret = secrets.token_hex(16)
        editors = ",".join(name for name, role in USERS.items() if role == "editor")
        settings = load_settings(
            database_url=url,
            slack_bot_token="xoxb-sandbox",
            slack_signing_secret=secret,
            slack_app_token=None,
            slack_api_url=fake.api_url,
            editors=editors,
            review_channel=None,
            announce_channel=None,
            fetch_link_titles=False,
        )
        runtime = build_runtime(settings)
        load_demo(runtime.db)
        server = HttpServer(WsgiApp(runtime.slack_app(), runtime.db.ping), host="127.0.0.1", port=0)
        server.start()
        driver = SlackDriver(f"{server.url}/slack/events", secret, fake)
        sandbox = Sandbox(fake, runtime, driver, user=user or "U_ALICE")
        sandbox.notifications = runtime.notification_sender("sandbox")
        sandbox._new_calls(quiet=0.05, limit=0.2)
        try:
            yield sandbox
        finally:
            driver.close()
            server.stop()
            runtime.close()


def run(commands: list[str], database: Path, user: str | None) -> int:
    with open_sandbox(database, user) as sandbox:
        if commands:
            for command in commands:
                print(f"{sandbox.user}> {command}")
                print("\n".join(step(sandbox, command, None)))
            return 0
        print(f"promisebot sandbox — a fake Slack on 127.0.0.1, data in {database}")
        print(HELP)
        while True:
            try:
                line = input(f"{sandbox.user}> ")
            except EOFError:
                print()
                return 0
            if line.strip() in ("quit", "exit"):
                return 0
            print("\n".join(step(sandbox, line, input)))


def step(sandbox: Sandbox, line: str, ask: Ask | None) -> list[str]:
    line = line.strip()
    if not line:
        return []
    if line == "help":
        return [HELP]
    if line.startswith("as "):
        sandbox.user = line[3:].strip().upper() or sandbox.user
        role = USERS.get(sandbox.user, "reporter")
        return [f"  You are now {sandbox.user} ({role})."]
    if line.isdigit():
        return sandbox.press(int(line), ask)
    if line.startswith("reply "):
        return sandbox.reply(line[6:])
    if line == "home":
        return sandbox.home()
    if line.startswith("/"):
        return sandbox.command(line, ask)
    return ["  Type /promise <text>, a button number, or help."]
