"""Following promises, tags and trackers: follow / unfollow / following for a person or (by
editors) a channel, capped and de-duplicated; resume after a pause; preferences."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace

from promisebot.db.models import Follow
from promisebot.db.uow import Database, UnitOfWork
from promisebot.domain import Clock, PromiseNotFound
from promisebot.services.follows.records import (
    MAX_FOLLOWS,
    AlreadyFollowing,
    Following,
    FollowResult,
    NotFollowing,
    Preferences,
    Subscription,
    SubscriptionNotFound,
    Target,
    TargetKind,
    TooManyFollows,
    UnknownTarget,
)
from promisebot.services.permissions import Permissions

CHANNEL_SUBSCRIPTIONS = "subscribe a channel to changes"
REMOVED_PROMISE = "a removed promise"


class FollowService:
    def __init__(self, db: Database, clock: Clock, permissions: Permissions) -> None:
        self._db = db
        self._clock = clock
        self._permissions = permissions

    # -- following ---------------------------------------------------------------------

    def resolve(self, kind: TargetKind, text: str) -> Target:
        """A tag or tracker as typed → its target; unknown ones raise with suggestions."""
        key = text.strip().lower()
        with self._db.reading() as uow:
            if kind is TargetKind.TAG:
                known = uow.follows.known_tags()
            else:
                known = {tracker.slug for tracker in uow.promises.all_trackers()}
        if key not in known:
            raise UnknownTarget(kind, text.strip(), _closest(key, known))
        return Target(kind, key)

    def follow(self, target: Target, *, user: str, channel: str | None = None) -> FollowResult:
        """Follow for `user`, or for `channel` (editors only). Following again what is
        followed raises AlreadyFollowing, unless it was paused: then it resumes."""
        subscriber = self._subscriber(user, channel)
        now = self._clock()
        with self._db.transaction() as uow:
            label, reference = self._describe(uow, target)
            existing = uow.follows.find(subscriber, target.kind.value, target.key)
            if existing is not None:
                if existing.paused_reason is None:
                    raise AlreadyFollowing(_who(channel), _named(target, label))
                # Slack refused the subscriber before; following again says "try again".
                resumed = replace(_subscription(existing, label, reference), paused_reason=None)
                uow.follows.resume(subscriber)
                uow.commit()
                return FollowResult(resumed, resumed=True)
            if uow.follows.count_of(subscriber) >= MAX_FOLLOWS:
                raise TooManyFollows()
            row = Follow(
                subscriber_id=subscriber,
                is_channel=channel is not None,
                target_kind=target.kind.value,
                target_key=target.key,
                created_by=user,
                created_at=now,
            )
            uow.add(row)
            uow.flush()
            uow.audit.record(
                actor=user,
                action="follow.add",
                subject_type="follow",
                subject_id=row.id,
                at=now,
                subscriber=subscriber,
                target=f"{target.kind.value}:{target.key}",
            )
            result = FollowResult(_subscription(row, label, reference), resumed=False)
            uow.commit()
        return result

    def unfollow(self, target: Target, *, user: str, channel: str | None = None) -> Subscription:
        subscriber = self._subscriber(user, channel)
        with self._db.transaction() as uow:
            label, reference = self._describe(uow, target)
            row = uow.follows.find(subscriber, target.kind.value, target.key)
            if row is None:
                raise NotFollowing(_who(channel), _named(target, label))
            gone = self._remove(uow, row, user, label, reference)
            uow.commit()
        return gone

    def unfollow_by_id(self, follow_id: int, *, user: str) -> Subscription:
        """An *Unfollow* button: the presser's own subscription, or a channel's (editors)."""
        with self._db.transaction() as uow:
            row = uow.follows.get(follow_id)
            if row is None:
                raise SubscriptionNotFound()
            if row.is_channel:
                self._permissions.require_editor(user, CHANNEL_SUBSCRIPTIONS)
            elif row.subscriber_id != user:
                raise SubscriptionNotFound()
            label, reference = self._describe(uow, _target(row), missing_ok=True)
            gone = self._remove(uow, row, user, label, reference)
            uow.commit()
        return gone

    def _remove(
        self, uow: UnitOfWork, row: Follow, user: str, label: str, reference: str
    ) -> Subscription:
        gone = _subscription(row, label, reference)
        uow.follows.remove(row)
        uow.audit.record(
            actor=user,
            action="follow.remove",
            subject_type="follow",
            subject_id=row.id,
            at=self._clock(),
            subscriber=row.subscriber_id,
            target=f"{row.target_kind}:{row.target_key}",
        )
        return gone

    # -- reading -----------------------------------------------------------------------

    def following(self, user: str, channel: str | None = None) -> Following:
        subscribers = [user, channel] if channel else [user]
        with self._db.reading() as uow:
            rows = uow.follows.of_subscribers(subscribers)
            labels = self._labels(uow, rows)
            preference = uow.follows.preference(user)
            preferences = (
                Preferences(preference.notify_proposals, preference.daily_summary)
                if preference
                else Preferences()
            )
            subscriptions = [_subscription(row, *labels[row.id]) for row in rows]
        return Following(
            user_id=user,
            mine=tuple(s for s in subscriptions if s.subscriber_id == user),
            channel_id=channel,
            channel=tuple(s for s in subscriptions if channel and s.subscriber_id == channel),
            preferences=preferences,
        )

    def is_following(self, user: str, promise_id: int) -> bool:
        """Whether the person follows this promise itself (what the card's button shows)."""
        with self._db.reading() as uow:
            return uow.follows.find(user, TargetKind.PROMISE.value, str(promise_id)) is not None

    # -- preferences -------------------------------------------------------------------

    def set_preferences(self, user: str, preferences: Preferences) -> Preferences:
        now = self._clock()
        with self._db.transaction() as uow:
            row = uow.follows.preference(user)
            if row is None:
                row = uow.follows.new_preference(user)
            row.notify_proposals = preferences.notify_proposals
            row.daily_summary = preferences.daily_summary
            row.updated_at = now
            uow.audit.record(
                actor=user,
                action="follow.preferences",
                subject_type="user",
                subject_id=user,
                at=now,
                notify_proposals=preferences.notify_proposals,
                daily_summary=preferences.daily_summary,
            )
            uow.commit()
        return preferences

    # -- helpers -----------------------------------------------------------------------

    def authorize_channel(self, user: str) -> None:
        """Raise NotAnEditor unless `user` may change a channel's subscriptions."""
        self._permissions.require_editor(user, CHANNEL_SUBSCRIPTIONS)

    def _subscriber(self, user: str, channel: str | None) -> str:
        if channel is None:
            return user
        self.authorize_channel(user)
        return channel

    def _describe(
        self, uow: UnitOfWork, target: Target, *, missing_ok: bool = False
    ) -> tuple[str, str]:
        """(label, reference): the promise's title or the tag / tracker, and what to type."""
        if target.kind is not TargetKind.PROMISE:
            return target.key, f"{target.kind.value}:{target.key}"
        found = uow.follows.promise_labels([int(target.key)]).get(int(target.key))
        if found is None:
            if missing_ok:
                return REMOVED_PROMISE, target.key
            raise PromiseNotFound()
        title, tracker, external_id = found
        return title, f"{tracker}/{external_id}"

    def _labels(self, uow: UnitOfWork, rows: Sequence[Follow]) -> dict[int, tuple[str, str]]:
        promise_ids = [int(row.target_key) for row in rows if row.target_kind == TargetKind.PROMISE]
        promises = uow.follows.promise_labels(promise_ids)
        labels: dict[int, tuple[str, str]] = {}
        for row in rows:
            if row.target_kind != TargetKind.PROMISE:
                labels[row.id] = (row.target_key, f"{row.target_kind}:{row.target_key}")
                continue
            title, tracker, external_id = promises.get(
                int(row.target_key), (REMOVED_PROMISE, "", row.target_key)
            )
            labels[row.id] = (title, f"{tracker}/{external_id}" if tracker else external_id)
        return labels


def _closest(key: str, known: set[str]) -> list[str]:
    return difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.5)


def _named(target: Target, label: str) -> str:
    if target.kind is TargetKind.PROMISE:
        return f"'{label}'"
    return f"{target.kind.value} '{label}'"


def _who(channel: str | None) -> str:
    return "This channel is" if channel else "You are"


def _target(row: Follow) -> Target:
    return Target(TargetKind(row.target_kind), row.target_key)


def _subscription(row: Follow, label: str, reference: str) -> Subscription:
    return Subscription(
        id=row.id,
        subscriber_id=row.subscriber_id,
        is_channel=row.is_channel,
        target=_target(row),
        label=label,
        reference=reference,
        paused_reason=row.paused_reason,
        created_at=row.created_at,
    )
