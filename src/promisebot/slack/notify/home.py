"""Publishing a person's App Home: the dashboard and what they follow, re-read from the
database each time (after `app_home_opened`, and after they change a subscription there)."""

from __future__ import annotations

from promisebot.services import Services
from promisebot.slack.blocks.home import home_view
from promisebot.slack.messenger import Messenger


def publish_home(services: Services, messenger: Messenger, user: str) -> None:
    dashboard = services.home.dashboard(user)
    permalinks = {
        item.proposal_id: found
        for item in dashboard.awaiting
        if item.channel_id and item.message_ts
        if (found := messenger.permalink(item.channel_id, item.message_ts))
    }
    view = home_view(
        dashboard,
        services.settings.tz,
        permalinks=permalinks,
        following=services.follows.following(user),
    )
    messenger.client.views_publish(user_id=user, view=view)
