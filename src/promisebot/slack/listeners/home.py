"""App Home: `app_home_opened` (Home tab) → the viewer's dashboard via `views.publish`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from promisebot.services import Services
from promisebot.slack.acks import after_ack
from promisebot.slack.messenger import Messenger
from promisebot.slack.notify.home import publish_home

log = logging.getLogger(__name__)


def register(app: App, services: Services, messenger: Messenger) -> None:
    @app.event("app_home_opened")
    @after_ack
    def handle_app_home_opened(event: dict[str, Any]) -> None:
        # The Messages tab fires the same event; only the Home tab shows the dashboard.
        if event.get("tab") != "home":
            return
        user = str(event.get("user", ""))
        if not user:
            return
        publish_home(services, messenger, user)
