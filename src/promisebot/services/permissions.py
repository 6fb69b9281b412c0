"""Who may do what: editors are the configured user ids plus a Slack user group's members;
senior editors (also editors) are read the same way from their own ids and group.

Every service asks `Permissions`; listeners never decide who may act. A group is read
through an injected fetcher (the Slack layer passes one calling
`usergroups.users.list`), cached for a short TTL; when Slack cannot be reached the last
known members stay in force.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from promisebot.domain import Clock, NotAnEditor
from promisebot.settings import Settings

logger = logging.getLogger(__name__)

GroupFetcher = Callable[[str], Iterable[str]]

# After a failed fetch, try again sooner than a full TTL, but not on every click.
RETRY_AFTER_FAILURE_SECONDS = 30.0


class EditorDirectory:
    """Answers `is_editor` quickly and thread-safely; at most one group fetch runs at a time.

    One directory holds the editors, another the senior editors.
    """

    def __init__(
        self,
        static_editors: frozenset[str],
        group_id: str | None,
        fetch_group_members: GroupFetcher | None,
        *,
        ttl_seconds: float,
        clock: Clock,
    ) -> None:
        self._static = frozenset(static_editors)
        self._group_id = group_id if fetch_group_members is not None else None
        self._fetch = fetch_group_members
        self._ttl = timedelta(seconds=ttl_seconds)
        self._retry = timedelta(seconds=min(ttl_seconds, RETRY_AFTER_FAILURE_SECONDS))
        self._clock = clock
        self._state_lock = threading.Lock()
        # Held only while fetching, so one thread asks Slack and the others use the cache.
        self._fetch_lock = threading.Lock()
        self._group_members: frozenset[str] | None = None
        self._next_fetch: datetime | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        fetch_group_members: GroupFetcher | None,
        clock: Clock,
        *,
        seniors: bool = False,
    ) -> EditorDirectory:
        """The editors, or with `seniors` the senior editors (their own ids and group)."""
        return cls(
            settings.senior_editors if seniors else settings.editors,
            settings.senior_group if seniors else settings.editor_group,
            fetch_group_members,
            ttl_seconds=settings.editor_cache_seconds,
            clock=clock,
        )

    def is_editor(self, user_id: str) -> bool:
        if user_id in self._static:
            return True
        return user_id in self._group()

    def members(self) -> frozenset[str]:
        return self._static | self._group()

    def refresh(self) -> None:
        """Forget the cache age so the next question re-reads the group."""
        with self._state_lock:
            self._next_fetch = None

    def _group(self) -> frozenset[str]:
        if self._group_id is None:
            return frozenset()
        with self._state_lock:
            cached, due = self._group_members, self._next_fetch
        if cached is not None and due is not None and self._clock() < due:
            return cached
        # With a cached list, a thread that finds a fetch under way answers from the cache;
        # without one it has nothing to answer from, so it waits for that fetch.
        if not self._fetch_lock.acquire(blocking=cached is None):
            return cached or frozenset()
        try:
            with self._state_lock:
                cached, due = self._group_members, self._next_fetch
            if cached is not None and due is not None and self._clock() < due:
                return cached
            return self._fetch_now(cached)
        finally:
            self._fetch_lock.release()

    def _fetch_now(self, cached: frozenset[str] | None) -> frozenset[str]:
        assert self._fetch is not None and self._group_id is not None
        try:
            fetched = frozenset(self._fetch(self._group_id))
        except Exception as error:  # any failure of the Slack call keeps the last list
            known = cached if cached is not None else frozenset()
            logger.warning(
                "Could not read editor group %s (%s: %s); using the last known list (%d members).",
                self._group_id,
                type(error).__name__,
                error,
                len(known),
            )
            with self._state_lock:
                self._group_members = known
                self._next_fetch = self._clock() + self._retry
            return known
        with self._state_lock:
            self._group_members = fetched
            self._next_fetch = self._clock() + self._ttl
        return fetched


class Permissions:
    """The one policy: editors may change the tracker; anyone may read it. Senior editors are
    editors whose approval some rating changes need (`PROMISEBOT_SENIOR_REQUIRED_FOR`)."""

    def __init__(self, editors: EditorDirectory, seniors: EditorDirectory | None = None) -> None:
        self._editors = editors
        self._seniors = seniors

    def is_editor(self, user_id: str) -> bool:
        return self._editors.is_editor(user_id) or self.is_senior(user_id)

    def is_senior(self, user_id: str) -> bool:
        return self._seniors is not None and self._seniors.is_editor(user_id)

    def require_editor(self, user_id: str, action: str) -> None:
        """Raise `NotAnEditor` ("Only editors can <action>.") unless the user is an editor."""
        if not self.is_editor(user_id):
            raise NotAnEditor(action)
