"""EditorDirectory: configured editors, the cached user group, and what happens when Slack fails."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import pytest

from promisebot.services.permissions import EditorDirectory
from promisebot.settings import load_settings
from tests.clock import FakeClock


class FakeGroup:
    """Stands in for `usergroups.users.list`: answers with the members, or raises."""

    def __init__(self, *members: str) -> None:
        self.members = set(members)
        self.calls: list[str] = []
        self.failing = False

    def __call__(self, group_id: str) -> Iterable[str]:
        self.calls.append(group_id)
        if self.failing:
            raise ConnectionError("slack.com unreachable")
        return set(self.members)


def directory(group: FakeGroup | None, clock: FakeClock, ttl: float = 300) -> EditorDirectory:
    return EditorDirectory(
        frozenset({"USTATIC"}),
        "SEDITORS" if group else None,
        group,
        ttl_seconds=ttl,
        clock=clock,
    )


def test_configured_editors_without_a_group() -> None:
    editors = directory(None, FakeClock())
    assert editors.is_editor("USTATIC")
    assert not editors.is_editor("UOTHER")
    assert editors.members() == {"USTATIC"}


def test_group_members_are_cached_for_the_ttl() -> None:
    clock, group = FakeClock(), FakeGroup("UALICE")
    editors = directory(group, clock)

    assert editors.is_editor("UALICE") and editors.is_editor("USTATIC")
    group.members = {"UBOB"}
    clock.advance(seconds=299)
    assert editors.is_editor("UALICE") and not editors.is_editor("UBOB")
    assert group.calls == ["SEDITORS"]

    clock.advance(seconds=2)
    assert editors.is_editor("UBOB") and not editors.is_editor("UALICE")
    assert editors.members() == {"USTATIC", "UBOB"}
    assert len(group.calls) == 2

    editors.refresh()
    editors.is_editor("UBOB")
    assert len(group.calls) == 3


def test_the_static_list_needs_no_fetch() -> None:
    group = FakeGroup("UALICE")
    assert directory(group, FakeClock()).is_editor("USTATIC")
    assert group.calls == []


def test_slack_failure_keeps_the_last_known_list(caplog: pytest.LogCaptureFixture) -> None:
    clock, group = FakeClock(), FakeGroup("UALICE")
    editors = directory(group, clock)
    assert editors.is_editor("UALICE")

    group.failing = True
    clock.advance(seconds=301)
    with caplog.at_level(logging.WARNING, logger="promisebot.services.permissions"):
        assert editors.is_editor("UALICE")
    assert "last known list (1 members)" in caplog.text
    assert "SEDITORS" in caplog.text

    # Not on every click: the next attempt waits a short while.
    editors.is_editor("UALICE")
    assert len(group.calls) == 2
    group.failing = False
    group.members = {"UBOB"}
    clock.advance(seconds=31)
    assert editors.is_editor("UBOB") and not editors.is_editor("UALICE")


def test_slack_failure_before_any_success_leaves_the_configured_editors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    group = FakeGroup("UALICE")
    group.failing = True
    editors = directory(group, FakeClock())
    with caplog.at_level(logging.WARNING):
        assert not editors.is_editor("UALICE")
        assert editors.is_editor("USTATIC")
    assert "Could not read editor group" in caplog.text


def test_concurrent_questions_share_one_fetch() -> None:
    clock = FakeClock()
    release = threading.Event()
    calls: list[str] = []

    def slow_group(group_id: str) -> Iterable[str]:
        calls.append(group_id)
        release.wait(5)
        return {"UALICE"}

    editors = EditorDirectory(frozenset(), "SEDITORS", slow_group, ttl_seconds=300, clock=clock)
    answers: list[bool] = []
    threads = [
        threading.Thread(target=lambda: answers.append(editors.is_editor("UALICE")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)

    assert answers == [True] * 8
    assert calls == ["SEDITORS"]


def test_built_from_settings() -> None:
    settings = load_settings(editors="U1, U2", editor_group="SGROUP", editor_cache_seconds=60)
    group = FakeGroup("U3")
    editors = EditorDirectory.from_settings(settings, group, FakeClock())
    assert editors.members() == {"U1", "U2", "U3"}
    assert group.calls == ["SGROUP"]
