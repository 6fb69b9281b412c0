"""The workspace behind the fake Slack (users, user groups, channels, messages, views and
trigger ids) and the Slack-shaped answer, or refusal, to each Web API method."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

JsonDict = dict[str, Any]
Handler = Callable[[JsonDict, str | None], JsonDict]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
# Slack's documented per-field limits are not the whole story: a message whose blocks
# carry roughly 13k characters in total is refused with msg_blocks_too_long.
MAX_MESSAGE_BLOCK_CHARS = 13_000
TRIGGER_TTL_SECONDS = 3.0
HISTORY_LIMIT = 100


# Like Slack's autolinking: a link ends before a closing parenthesis or sentence punctuation.
_TYPED_LINK = re.compile(r"https?://[^\s<>()]*[^\s<>().,;:!?]")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error(code: str) -> JsonDict:
    return {"ok": False, "error": code}


def _block_chars(value: Any) -> int:
    if isinstance(value, dict):
        text = value.get("text")
        own = len(text) if isinstance(text, str) else 0
        return own + sum(_block_chars(v) for v in value.values())
    if isinstance(value, list):
        return sum(_block_chars(v) for v in value)
    return 0


def _flag(value: Any) -> bool:
    """Booleans arrive as JSON booleans or, form-encoded, as "1"/"true"."""
    return value is True or str(value).lower() in ("1", "true")


class FakeWorkspace:
    """Mutable workspace state; `answer` is called from the server's request threads.

    Trigger ids follow Slack's rules: one opens one view, within `trigger_ttl` seconds.
    """

    def __init__(self, *, team_id: str = "T0001", bot_user_id: str = "UBOTUSER") -> None:
        self.team_id = team_id
        self.team_name = "Example Newsroom"
        self.enterprise_id: str | None = None  # set to answer auth.test like an org install
        self.bot_user_id = bot_user_id
        self.bot_id = "BBOT"
        self.app_id = "A0001"
        self.domain = "example"
        self.trigger_ttl = TRIGGER_TTL_SECONDS
        self.socket_mode_url: Callable[[], str] | None = None
        self._lock = threading.RLock()
        self._counter = 0
        self._view_counter = 0
        self._users: dict[str, JsonDict] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._channels: dict[str, JsonDict] = {}
        self._messages: dict[tuple[str, str], JsonDict] = {}
        self._unfurls: list[JsonDict] = []
        self._views: dict[str, JsonDict] = {}
        self._home_views: dict[str, str] = {}
        self._issued_triggers: dict[str, float] = {}
        self._exchanged_triggers: set[str] = set()
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": lambda a, t: {"ok": True, "message_ts": self._next_ts()},
            "chat.getPermalink": self._chat_get_permalink,
            "chat.delete": self._chat_delete,
            "chat.unfurl": self._chat_unfurl,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": lambda a, t: {"ok": True, "user": self.user(str(a.get("user", "")))},
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
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
        deleted: bool = False,
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
                "deleted": deleted,
                "profile": {"real_name": real_name or name, "display_name": name},
            }

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

    def post_user_message(
        self, channel: str, user: str, typed: str, *, thread_ts: str | None = None
    ) -> JsonDict:
        """Store a message as a person typed it, the way Slack stores it: links wrapped as
        `<url>` in the text and as `link` elements of a rich_text block."""
        elements: list[JsonDict] = []
        text_parts: list[str] = []
        position = 0
        for match in _TYPED_LINK.finditer(typed):
            before = typed[position : match.start()]
            if before:
                elements.append({"type": "text", "text": before})
                text_parts.append(_escape(before))
            url = match.group(0)
            elements.append({"type": "link", "url": url})
            text_parts.append(f"<{_escape(url)}>")
            position = match.end()
        if typed[position:]:
            elements.append({"type": "text", "text": typed[position:]})
            text_parts.append(_escape(typed[position:]))
        with self._lock:
            ts = self._next_ts()
            message: JsonDict = {
                "client_msg_id": f"{self._counter:08d}-fake",
                "type": "message",
                "text": "".join(text_parts),
                "user": user,
                "ts": ts,
                "team": self.team_id,
                "blocks": [
                    {
                        "type": "rich_text",
                        "block_id": f"b{self._counter}",
                        "elements": [{"type": "rich_text_section", "elements": elements}],
                    }
                ],
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            self._messages[(channel, ts)] = {**message, "channel": channel}
            return dict(message)

    def issue_trigger_id(self) -> str:
        """A trigger id that, like Slack's, opens one view and only within `trigger_ttl`."""
        with self._lock:
            self._view_counter += 1
            trigger_id = f"{self._view_counter}.{int(time.time())}.fake-trigger"
            self._issued_triggers[trigger_id] = time.monotonic()
            return trigger_id

    # -- stored state ----------------------------------------------------------------

    def user(self, user_id: str) -> JsonDict:
        with self._lock:
            if user_id not in self._users:
                self.set_user(user_id)
            return dict(self._users[user_id])

    def channel(self, channel_id: str) -> JsonDict:
        with self._lock:
            if channel_id not in self._channels:
                self.set_channel(channel_id)
            return dict(self._channels[channel_id])

    def message(self, channel: str, ts: str) -> JsonDict | None:
        """The message as it stands now (after any chat.update), with its `channel`."""
        with self._lock:
            found = self._messages.get((channel, ts))
            return dict(found) if found is not None else None

    def messages(self, channel: str | None = None) -> list[JsonDict]:
        with self._lock:
            return [dict(m) for (c, _), m in self._messages.items() if channel in (None, c)]

    def last_message(self, channel: str | None = None) -> JsonDict | None:
        messages = self.messages(channel)
        return messages[-1] if messages else None

    def unfurls(self) -> list[JsonDict]:
        """Each chat.unfurl as `{channel, ts, unfurls}`, oldest first."""
        with self._lock:
            return [dict(u) for u in self._unfurls]

    def view(self, view_id: str) -> JsonDict | None:
        with self._lock:
            found = self._views.get(view_id)
            return dict(found) if found is not None else None

    # -- answering -----------------------------------------------------------------

    def answer(self, method: str, args: JsonDict, token: str | None) -> JsonDict:
        if not token:
            return error("not_authed")
        handler = self._handlers.get(method)
        with self._lock:
            return handler(args, token) if handler else {"ok": True}

    def _next_ts(self) -> str:
        self._counter += 1
        micros = 1_700_000_000_000_000 + self._counter * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _auth_test(self, args: JsonDict, token: str | None) -> JsonDict:
        answer: JsonDict = {
            "ok": True,
            "url": f"https://{self.domain}.slack.com/",
            "team": self.team_name,
            "user": "promisebot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }
        if self.enterprise_id is not None:
            answer["enterprise_id"] = self.enterprise_id
        return answer

    # -- messages ------------------------------------------------------------------

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

    def _chat_unfurl(self, args: JsonDict, token: str | None) -> JsonDict:
        """Like Slack: by channel + ts or by unfurl_id + source, and only for links that are
        in that message (a composer draft's links are not known here, so any goes)."""
        unfurls = args.get("unfurls") or {}
        channel, ts = args.get("channel"), args.get("ts")
        unfurl_id, source = args.get("unfurl_id"), args.get("source")
        if not ((channel and ts) or (unfurl_id and source)):
            return error("invalid_arguments")
        if not isinstance(unfurls, dict) or not unfurls:
            return error("invalid_unfurls_format")
        if channel and ts and not unfurl_id:
            message = self._messages.get((str(channel), str(ts)))
            if message is None:
                return error("cannot_find_message")
            text = str(message.get("text", "")).replace("&lt;", "<").replace("&gt;", ">")
            text = text.replace("&amp;", "&")
            if any(url not in text for url in unfurls):
                return error("cannot_unfurl_url")
        self._unfurls.append(
            {
                "channel": channel,
                "ts": ts,
                "unfurl_id": unfurl_id,
                "source": source,
                "unfurls": unfurls,
            }
        )
        return {"ok": True}

    # -- conversations ---------------------------------------------------------------

    def _usergroups_users_list(self, args: JsonDict, token: str | None) -> JsonDict:
        users = self._usergroups.get(str(args.get("usergroup", "")))
        return error("no_such_subteam") if users is None else {"ok": True, "users": list(users)}

    def _conversations_info(self, args: JsonDict, token: str | None) -> JsonDict:
        return {"ok": True, "channel": self.channel(str(args.get("channel", "")))}

    def _conversations_open(self, args: JsonDict, token: str | None) -> JsonDict:
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            return error("users_list_not_supplied")
        user = self.user(users[0])
        if user["is_bot"]:
            return error("cannot_dm_bot")
        if user["deleted"]:
            return error("user_disabled")
        channel_id = f"D{users[0]}"
        already_open = channel_id in self._channels
        self.channel(channel_id)
        answer: JsonDict = {"ok": True, "channel": {"id": channel_id}}
        if _flag(args.get("return_im")):
            answer["channel"] |= {
                "created": 1_700_000_000,
                "is_im": True,
                "is_org_shared": False,
                "user": users[0],
                "is_user_deleted": False,
                "priority": 0,
            }
        if already_open:
            answer |= {"no_op": True, "already_open": True}
        return answer

    def _conversations_history(self, args: JsonDict, token: str | None) -> JsonDict:
        """Top-level messages (thread replies live in conversations.replies), newest first;
        `oldest`/`latest` are exclusive unless `inclusive`; metadata only when asked for."""
        channel = str(args.get("channel", ""))
        inclusive = _flag(args.get("inclusive"))
        low = Decimal(str(args.get("oldest") or 0))
        high = Decimal(str(args["latest"])) if args.get("latest") else None
        if cursor := args.get("cursor"):  # names the newest message of the page it asks for
            high = Decimal(base64.b64decode(str(cursor)).decode().removeprefix("next_ts:"))

        def within(ts: str) -> bool:
            at = Decimal(ts)
            above = low <= at if inclusive else low < at
            return above and (high is None or (at <= high if inclusive or cursor else at < high))

        in_range = sorted(
            (
                m
                for (c, ts), m in self._messages.items()
                if c == channel and m.get("thread_ts", ts) == ts and within(ts)
            ),
            key=lambda m: Decimal(m["ts"]),
            reverse=True,
        )
        limit = int(args.get("limit") or HISTORY_LIMIT)
        page, rest = in_range[:limit], in_range[limit:]
        with_metadata = _flag(args.get("include_all_metadata"))
        messages = [
            {k: v for k, v in m.items() if k != "channel" and (with_metadata or k != "metadata")}
            for m in page
        ]
        next_cursor = base64.b64encode(f"next_ts:{rest[0]['ts']}".encode()).decode() if rest else ""
        return {
            "ok": True,
            "messages": messages,
            "has_more": bool(rest),
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _apps_connections_open(self, args: JsonDict, token: str | None) -> JsonDict:
        if not (token or "").startswith("xapp-"):
            return error("not_allowed_token_type")
        if self.socket_mode_url is None:
            return error("socket_mode_not_started")
        return {"ok": True, "url": self.socket_mode_url()}

    # -- views ---------------------------------------------------------------------

    def _views_open(self, args: JsonDict, token: str | None) -> JsonDict:
        """views.open and views.push."""
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        if problem := self._exchange_trigger(trigger):
            return error(problem)
        return self._store_view(args.get("view"))

    def _views_update(self, args: JsonDict, token: str | None) -> JsonDict:
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
        return self._store_view(args.get("view"), str(view_id) if view_id else None, root)

    def _views_publish(self, args: JsonDict, token: str | None) -> JsonDict:
        user_id = str(args.get("user_id", ""))
        answer = self._store_view(args.get("view"), self._home_views.get(user_id))
        if answer["ok"]:
            self._home_views[user_id] = answer["view"]["id"]
        return answer

    def _exchange_trigger(self, trigger_id: str) -> str | None:
        if not trigger_id:
            return "invalid_arguments"
        if trigger_id in self._exchanged_triggers:
            return "exchanged_trigger_id"
        issued = self._issued_triggers.get(trigger_id)
        if issued is not None and time.monotonic() - issued > self.trigger_ttl:
            return "expired_trigger_id"
        self._exchanged_triggers.add(trigger_id)
        return None

    def _store_view(
        self, view: Any, view_id: str | None = None, root: str | None = None
    ) -> JsonDict:
        if not isinstance(view, dict):
            return error("invalid_arguments")
        if len(view.get("blocks") or []) > MAX_VIEW_BLOCKS:
            return error("invalid_blocks")
        self._view_counter += 1
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
            "hash": f"{int(time.time())}.h{self._view_counter:07d}",
            "root_view_id": root or view_id,
            "previous_view_id": None,
        }
        self._views[view_id] = stored
        return {"ok": True, "view": stored}
