"""App Home: `app_home_opened` (Home tab) → the viewer's dashboard via `views.publish`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from promisebot.services import Services
from promisebot.slack.acks import after_ack
from promisebot.slack.blocks.home import home_view
from promisebot.slack.messenger import Messenger

log = logging.getLogger(__name__)


def register(app: App, services: Services, messenger: Messenger) -> None:
    tz = services.settings.tz

    @app.event("app_home_opened")
    @after_ack
    def handle_app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        # The Messages tab fires the same event; only the Home tab shows the dashboard.
        if event.get("tab") != "home":
            return
        user = str(event.get("user", ""))
        if not user:
            return
        dashboard = services.home.dashboard(user)
        permalinks = {
            item.proposal_id: found
            for item in dashboard.awaiting
            if item.channel_id and item.message_ts
            if (found := messenger.permalink(item.channel_id, item.message_ts))
        }
        client.views_publish(user_id=user, view=home_view(dashboard, tz, permalinks=permalinks))
