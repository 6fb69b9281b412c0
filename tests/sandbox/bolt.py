"""A bare Bolt app served over HTTP for the sandbox tests, and the driver that signs for it."""

from __future__ import annotations

from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler

from slack_bolt import App

from promisebot.sandbox import SlackDriver


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class BoltOverHttp:
    app: App
    driver: SlackDriver
