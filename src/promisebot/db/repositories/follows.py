"""Subscription queries: a subscriber's follows, who follows a promise (directly, by tag or
by tracker), pausing a subscriber Slack will not deliver to, preferences, known tags."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import CursorResult, and_, func, or_, select, update

from promisebot.db.models import Follow, FollowerPreference, Promise, Tracker
from promisebot.db.repositories import Repository


class FollowRepository(Repository):
    """Follow and FollowerPreference rows."""

    def find(self, subscriber_id: str, target_kind: str, target_key: str) -> Follow | None:
        statement = select(Follow).where(
            Follow.subscriber_id == subscriber_id,
            Follow.target_kind == target_kind,
            Follow.target_key == target_key,
        )
        return self._session.scalars(statement).one_or_none()

    def get(self, follow_id: int) -> Follow | None:
        return self._session.get(Follow, follow_id)

    def of_subscribers(self, subscriber_ids: Collection[str]) -> Sequence[Follow]:
        """Their follows, oldest first."""
        statement = (
            select(Follow)
            .where(Follow.subscriber_id.in_(subscriber_ids))
            .order_by(Follow.subscriber_id, Follow.id)
        )
        return self._session.scalars(statement).all()

    def count_of(self, subscriber_id: str) -> int:
        statement = select(func.count()).where(Follow.subscriber_id == subscriber_id)
        return int(self._session.scalar(statement) or 0)

    def remove(self, follow: Follow) -> None:
        self._session.delete(follow)

    def followers(
        self, *, promise_id: int, tags: Collection[str], tracker_slug: str
    ) -> list[tuple[str, bool]]:
        """(subscriber, is channel) of every active follow matching the promise, each once."""
        matches = [
            and_(Follow.target_kind == "promise", Follow.target_key == str(promise_id)),
            and_(Follow.target_kind == "tracker", Follow.target_key == tracker_slug),
        ]
        if tags:
            matches.append(and_(Follow.target_kind == "tag", Follow.target_key.in_(tags)))
        statement = (
            select(Follow.subscriber_id, Follow.is_channel)
            .where(Follow.paused_reason.is_(None), or_(*matches))
            .distinct()
        )
        return [
            (subscriber, bool(channel)) for subscriber, channel in self._session.execute(statement)
        ]

    def pause(self, subscriber_id: str, reason: str, at: datetime) -> int:
        """Pause every active follow of a subscriber; how many were paused."""
        statement = (
            update(Follow)
            .where(Follow.subscriber_id == subscriber_id, Follow.paused_reason.is_(None))
            .values(paused_reason=reason[:100], paused_at=at)
            .execution_options(synchronize_session=False)
        )
        result = self._session.execute(statement)
        return result.rowcount if isinstance(result, CursorResult) else 0

    def resume(self, subscriber_id: str) -> int:
        statement = (
            update(Follow)
            .where(Follow.subscriber_id == subscriber_id, Follow.paused_reason.is_not(None))
            .values(paused_reason=None, paused_at=None)
            .execution_options(synchronize_session=False)
        )
        result = self._session.execute(statement)
        return result.rowcount if isinstance(result, CursorResult) else 0

    def preference(self, user_id: str) -> FollowerPreference | None:
        return self._session.get(FollowerPreference, user_id)

    def new_preference(self, user_id: str) -> FollowerPreference:
        row = FollowerPreference(user_id=user_id)
        self._session.add(row)
        return row

    def preferences_of(self, user_ids: Collection[str]) -> dict[str, FollowerPreference]:
        if not user_ids:
            return {}
        statement = select(FollowerPreference).where(FollowerPreference.user_id.in_(user_ids))
        return {row.user_id: row for row in self._session.scalars(statement)}

    def known_tags(self) -> set[str]:
        """Every tag of every promise, lower-cased."""
        return {
            str(tag).lower()
            for tags in self._session.scalars(select(Promise.tags))
            for tag in tags or ()
        }

    def promise_labels(self, promise_ids: Collection[int]) -> dict[int, tuple[str, str, str]]:
        """promise id → (title, tracker slug, external id)."""
        if not promise_ids:
            return {}
        statement = (
            select(Promise.id, Promise.title, Tracker.slug, Promise.external_id)
            .join(Tracker, Tracker.id == Promise.tracker_id)
            .where(Promise.id.in_(promise_ids))
        )
        return {row[0]: (row[1], row[2], row[3]) for row in self._session.execute(statement)}
