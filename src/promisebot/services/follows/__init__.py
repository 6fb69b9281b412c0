"""Following promises, tags and trackers: subscriptions and preferences (`FollowService`),
and the outbox's delivery to followers, daily summaries and weekly change lists
(`OutboxService`)."""

from promisebot.services.follows.outbox import OutboxService
from promisebot.services.follows.records import (
    MAX_FOLLOWS,
    AlreadyFollowing,
    ChangeList,
    Following,
    FollowResult,
    NotFollowing,
    Notification,
    Preferences,
    PromiseRef,
    Subscription,
    SubscriptionNotFound,
    SummaryClaim,
    Target,
    TargetKind,
    TooManyFollows,
    UnknownTarget,
)
from promisebot.services.follows.subscriptions import FollowService

__all__ = [
    "MAX_FOLLOWS",
    "AlreadyFollowing",
    "ChangeList",
    "FollowResult",
    "FollowService",
    "Following",
    "NotFollowing",
    "Notification",
    "OutboxService",
    "Preferences",
    "PromiseRef",
    "Subscription",
    "SubscriptionNotFound",
    "SummaryClaim",
    "Target",
    "TargetKind",
    "TooManyFollows",
    "UnknownTarget",
]
