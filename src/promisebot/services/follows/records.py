"""What the follow services hand their callers: targets, subscriptions, preferences,
notifications and weekly change lists (frozen), and the errors a follower can meet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from promisebot.changes import ChangeKind
from promisebot.domain import DomainError

MAX_FOLLOWS = 200


class TargetKind(StrEnum):
    PROMISE = "promise"
    TAG = "tag"
    TRACKER = "tracker"


@dataclass(frozen=True, slots=True)
class Target:
    """What is followed: a promise (key = its id), a tag (lower-case) or a tracker (slug)."""

    kind: TargetKind
    key: str

    @classmethod
    def promise(cls, promise_id: int) -> Target:
        return cls(TargetKind.PROMISE, str(promise_id))


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    subscriber_id: str
    is_channel: bool
    target: Target
    label: str  # the promise's title, the tag or the tracker slug
    reference: str  # `tracker/id`, `tag:x`, `tracker:x`: what to type to unfollow
    paused_reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Preferences:
    notify_proposals: bool = False
    daily_summary: bool = False


@dataclass(frozen=True, slots=True)
class Following:
    """`/promise following` and App Home: the viewer's, and the channel's when asked."""

    user_id: str
    mine: tuple[Subscription, ...]
    channel_id: str | None
    channel: tuple[Subscription, ...]
    preferences: Preferences


@dataclass(frozen=True, slots=True)
class FollowResult:
    subscription: Subscription
    resumed: bool  # it was paused, and now is not


@dataclass(frozen=True, slots=True)
class PromiseRef:
    """The promise a notification is about, as it was when the change happened."""

    id: int
    external_id: str
    title: str
    tracker: str
    tracker_name: str


@dataclass(frozen=True, slots=True)
class Notification:
    """One change to tell one subscriber about (a delivery and its outbox event)."""

    delivery_id: int
    event_id: int
    kind: ChangeKind
    subscriber_id: str
    is_channel: bool
    promise: PromiseRef
    actor: str
    at: datetime
    details: Mapping[str, Any]
    thread: tuple[str, str] | None  # the proposal's thread root (channel, ts), if posted
    attempt: int


@dataclass(frozen=True, slots=True)
class SummaryClaim:
    run_id: int
    subscriber_id: str
    period_key: str
    attempt: int
    items: tuple[Notification, ...]


@dataclass(frozen=True, slots=True)
class ChangeList:
    """A weekly "what changed" digest's content: changes in [start, end), by tracker."""

    start: datetime
    end: datetime
    tracker: str | None
    items: tuple[Notification, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


class AlreadyFollowing(DomainError):
    def __init__(self, who: str, label: str) -> None:
        super().__init__(f"{who} already following {label}.")


class NotFollowing(DomainError):
    def __init__(self, who: str, label: str) -> None:
        super().__init__(
            f"{who} not following {label}, so there was nothing to unfollow. "
            "`/promise following` lists what you follow."
        )


class TooManyFollows(DomainError):
    def __init__(self) -> None:
        super().__init__(
            f"That would be more than {MAX_FOLLOWS} subscriptions, the most one person or "
            "channel can have. Unfollow some first (`/promise following` lists them)."
        )


class UnknownTarget(DomainError):
    """An unknown tag or tracker; `suggestions` are the closest known ones."""

    def __init__(self, kind: TargetKind, text: str, suggestions: Sequence[str]) -> None:
        self.suggestions = tuple(suggestions)
        hint = (
            " Did you mean " + ", ".join(f"`{kind.value}:{s}`" for s in self.suggestions) + "?"
            if self.suggestions
            else ""
        )
        super().__init__(f"There is no {kind.value} '{text}'.{hint}")


class SubscriptionNotFound(DomainError):
    def __init__(self) -> None:
        super().__init__("That subscription is gone already; `/promise following` lists yours.")
