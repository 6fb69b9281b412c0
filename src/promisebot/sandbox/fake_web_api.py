"""The workspace behind the fake Slack: users, user groups, channels and messages, and
the Slack-shaped answer to each Web API method."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from promisebot.sandbox.fake_views import FakeViews, JsonDict, error

Handler = Callable[[JsonDict, str | None], JsonDict]

MAX_MESSAGE_BLOCKS = 50
# Slack's documented per-field limits are not the whole story: a message whose blocks
# carry roughly 13k characters in total is refused with msg_blocks_too_long.
MAX_MESSAGE_BLOCK_CHARS = 13_000


def _block_chars(value: Any) -> int:
    if isinstance(value, dict):
        text = value.get("text")
        own = len(text) if isinstance(text, str) else 0
        return own + sum(_block_chars(v) for v in value.values())
    if isinstance(value, list):
        return sum(_block_chars(v) for v in value)
    return 0


class FakeWorkspace:
    """Mutable workspace state; `answer` is called from the server's request threads."""

    def __init__(self, *, team_id: str = "T0001", bot_user_id: str = "UBOTUSER") -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "BBOT"
        self.app_id = "A0001"
        self.domain = "example"
        self.socket_mode_url: Callable[[], str] | None = None
        self._lock = threading.RLock()
        self._counter = 0
        self._users: dict[str, JsonDict] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._channels: dict[str, JsonDict] = {}
        self._messages: dict[tuple[str, str], JsonDict] = {}
        self.views = FakeViews(team_id=team_id, app_id=self.app_id, bot_id=self.bot_id)
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": lambda a, t: {"ok": True, "message_ts": self._next_ts()},
            "chat.getPermalink": self._chat_get_permalink,
            "chat.delete": self._chat_delete,
            "views.open": lambda a, t: self.views.open(a),
            "views.push": lambda a, t: self.views.open(a),
            "views.update": lambda a, t: self.views.update(a),
            "views.publish": lambda a, t: self.views.publish(a),
            "users.info": lambda a, t: {"ok": True, "user": self.user(str(a.get("user", "")))},
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "apps.connections.open": self._apps_connections_open,
        }

    # -- configuration -------------------------------------------------------------

    def set_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "America/New_York",
        is_bot: bool = False,
    ) -> None:
        name = name or user_id.lower()
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "team_id": self.team_id,
                "name": name,
                "real_name": real_name or name,
                "tz": tz,
                "tz_label": tz,
                "tz_offset": int(offset.total_seconds()) if offset else 0,
                "is_bot": is_bot,
                "deleted": False,
                "profile": {"real_name": real_name or name, "display_name": name},
            }

    def user(self, user_id: str) -> JsonDict:
        with self._lock:
            if user_id not in self._users:
                self.set_user(user_id)
            return dict(self._users[user_id])

    def set_usergroup(self, group_id: str, user_ids: list[str]) -> None:
        with self._lock:
            self._usergroups[group_id] = list(user_ids)

    def set_channel(
        self, channel_id: str, *, name: str | None = None, is_member: bool = True
    ) -> None:
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name or channel_id.lower().removeprefix("c_"),
                "is_channel": not channel_id.startswith("D"),
                "is_im": channel_id.startswith("D"),
                "is_private": False,
                "is_member": is_member,
            }

    def channel(self, channel_id: str) -> JsonDict:
        with self._lock:
            if channel_id not in self._channels:
                self.set_channel(channel_id)
            return dict(self._channels[channel_id])

    def issue_trigger_id(self) -> str:
        with self._lock:
            return self.views.issue_trigger_id()

    def message(self, channel: str, ts: str) -> JsonDict | None:
        with self._lock:
            found = self._messages.get((channel, ts))
            return dict(found) if found is not None else None

    def messages(self, channel: str | None = None) -> list[JsonDict]:
        with self._lock:
            return [dict(m) for (c, _), m in self._messages.items() if channel in (None, c)]

    def view(self, view_id: str) -> JsonDict | None:
        with self._lock:
            return self.views.view(view_id)

    # -- answering -----------------------------------------------------------------

    def answer(self, method: str, args: JsonDict, token: str | None) -> JsonDict:
        if not token:
            return error("not_authed")
        handler = self._handlers.get(method)
        with self._lock:
            return handler(args, token) if handler else {"ok": True}

    def _next_number(self) -> int:
        self._counter += 1
        return self._counter

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + self._next_number() * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _auth_test(self, args: JsonDict, token: str | None) -> JsonDict:
        return {
            "ok": True,
            "url": f"https://{self.domain}.slack.com/",
            "team": "Example Newsroom",
            "user": "promisebot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _check_message(self, args: JsonDict) -> str | None:
        blocks = args.get("blocks")
        if not args.get("text") and not blocks and not args.get("attachments"):
            return "no_text"
        if isinstance(blocks, list):
            if len(blocks) > MAX_MESSAGE_BLOCKS:
                return "invalid_blocks"
            if _block_chars(blocks) > MAX_MESSAGE_BLOCK_CHARS:
                return "msg_blocks_too_long"
        return None

    def _chat_post_message(self, args: JsonDict, token: str | None) -> JsonDict:
        if problem := self._check_message(args):
            return error(problem)
        channel = str(args.get("channel", ""))
        if channel.startswith(("U", "W")):
            channel = f"D{channel}"  # Slack posts "to a user" in the DM with them
        ts = self._next_ts()
        message: JsonDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in args:
                message[key] = args[key]
        self._messages[(channel, ts)] = {**message, "channel": channel}
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: JsonDict, token: str | None) -> JsonDict:
        if problem := self._check_message(args):
            return error(problem)
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        stored = self._messages.get((channel, ts), {"type": "message", "channel": channel})
        updated = {**stored, "ts": ts, "text": args.get("text", "")}
        for key in ("blocks", "attachments", "metadata"):
            if key in args:
                updated[key] = args[key]
        self._messages[(channel, ts)] = updated
        message = {k: v for k, v in updated.items() if k != "channel"}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": updated["text"],
            "message": message,
        }

    def _chat_get_permalink(self, args: JsonDict, token: str | None) -> JsonDict:
        channel, ts = str(args.get("channel", "")), str(args.get("message_ts", ""))
        permalink = f"https://{self.domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _chat_delete(self, args: JsonDict, token: str | None) -> JsonDict:
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        self._messages.pop((channel, ts), None)
        return {"ok": True, "channel": channel, "ts": ts}

    def _usergroups_users_list(self, args: JsonDict, token: str | None) -> JsonDict:
        users = self._usergroups.get(str(args.get("usergroup", "")))
        return error("no_such_subteam") if users is None else {"ok": True, "users": list(users)}

    def _conversations_info(self, args: JsonDict, token: str | None) -> JsonDict:
        return {"ok": True, "channel": self.channel(str(args.get("channel", "")))}

    def _conversations_open(self, args: JsonDict, token: str | None) -> JsonDict:
        users = str(args.get("users", "")).split(",")
        return {"ok": True, "channel": self.channel(f"D{users[0]}")}

    def _apps_connections_open(self, args: JsonDict, token: str | None) -> JsonDict:
        if not (token or "").startswith("xapp-"):
            return error("not_allowed_token_type")
        if self.socket_mode_url is None:
            return error("socket_mode_not_started")
        return {"ok": True, "url": self.socket_mode_url()}
