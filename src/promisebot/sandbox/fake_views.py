"""Views (modals, App Home) and trigger ids in the fake Slack, with Slack's rules: a
trigger id opens one view within 3 seconds; an update with a stale hash is refused."""

from __future__ import annotations

import time
from typing import Any

JsonDict = dict[str, Any]

MAX_VIEW_BLOCKS = 100
TRIGGER_TTL_SECONDS = 3.0


def error(code: str) -> JsonDict:
    return {"ok": False, "error": code}


class FakeViews:
    """Not thread-safe on its own: the workspace calls it under its lock."""

    def __init__(self, *, team_id: str, app_id: str, bot_id: str) -> None:
        self.team_id = team_id
        self.app_id = app_id
        self.bot_id = bot_id
        self.trigger_ttl = TRIGGER_TTL_SECONDS
        self._views: dict[str, JsonDict] = {}
        self._home_views: dict[str, str] = {}
        self._issued: dict[str, float] = {}
        self._exchanged: set[str] = set()
        self._count = 0

    def issue_trigger_id(self) -> str:
        self._count += 1
        trigger_id = f"{self._count}.{int(time.time())}.fake-trigger"
        self._issued[trigger_id] = time.monotonic()
        return trigger_id

    def view(self, view_id: str) -> JsonDict | None:
        found = self._views.get(view_id)
        return dict(found) if found is not None else None

    def open(self, args: JsonDict) -> JsonDict:
        """views.open and views.push."""
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        if problem := self._exchange(trigger):
            return error(problem)
        return self._store(args.get("view"))

    def update(self, args: JsonDict) -> JsonDict:
        view_id = args.get("view_id")
        if view_id is None and args.get("external_id"):
            view_id = next(
                (v["id"] for v in self._views.values() if v["external_id"] == args["external_id"]),
                None,
            )
            if view_id is None:
                return error("not_found")
        # Unknown view ids are accepted: tests often update views they never opened here.
        current = self._views.get(str(view_id)) if view_id else None
        if current and args.get("hash") and args["hash"] != current["hash"]:
            return error("hash_conflict")
        root = current["root_view_id"] if current else view_id
        return self._store(args.get("view"), str(view_id) if view_id else None, root)

    def publish(self, args: JsonDict) -> JsonDict:
        user_id = str(args.get("user_id", ""))
        answer = self._store(args.get("view"), self._home_views.get(user_id))
        if answer["ok"]:
            self._home_views[user_id] = answer["view"]["id"]
        return answer

    def _exchange(self, trigger_id: str) -> str | None:
        if not trigger_id:
            return "invalid_arguments"
        if trigger_id in self._exchanged:
            return "exchanged_trigger_id"
        issued = self._issued.get(trigger_id)
        if issued is not None and time.monotonic() - issued > self.trigger_ttl:
            return "expired_trigger_id"
        self._exchanged.add(trigger_id)
        return None

    def _store(self, view: Any, view_id: str | None = None, root: str | None = None) -> JsonDict:
        if not isinstance(view, dict):
            return error("invalid_arguments")
        if len(view.get("blocks") or []) > MAX_VIEW_BLOCKS:
            return error("invalid_blocks")
        self._count += 1
        view_id = view_id or f"V{len(self._views) + 1:04d}"
        stored: JsonDict = {
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "app_installed_team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.h{self._count:07d}",
            "root_view_id": root or view_id,
            "previous_view_id": None,
        }
        self._views[view_id] = stored
        return {"ok": True, "view": stored}
