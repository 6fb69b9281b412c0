"""The fake Slack served over HTTP on 127.0.0.1: the workspace's answers, every call
recorded, and rate limits and server errors injected on request."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, quote, urlsplit

from promisebot.sandbox.fake_web_api import FakeWorkspace, JsonDict
from promisebot.sandbox.local_server import LocalServer

# Form-encoded requests carry these as JSON strings; tests want to inspect the objects.
_JSON_FIELDS = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks"}
)


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received: Web API method (or "response_url"), its args, and
    the answer it got (`response`); the token is kept out of `repr`."""

    method: str
    args: dict[str, Any]
    token: str | None = field(default=None, repr=False)
    response: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: int
    error: str | None


def _parse_body(content_type: str, body: bytes) -> JsonDict:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {"_body": loaded}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        return {
            str(part.get_param("name", header="content-disposition")): part.get_content()
            for part in message.iter_parts()
            if part.get_filename() is None
        }
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def _decode_json_fields(args: JsonDict) -> JsonDict:
    decoded = dict(args)
    for key in _JSON_FIELDS & decoded.keys():
        value = decoded[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            decoded[key] = json.loads(value)
    return decoded


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        super().serve_forever(poll_interval)  # a short poll makes stop() quick

    def shutdown(self) -> None:
        super().shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # request lines can carry tokens in query strings; keep them out of logs

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = cast(_Server, self.server).fake
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        args = dict(parse_qsl(url.query, keep_blank_values=True))
        args.update(_parse_body(self.headers.get("Content-Type", ""), body))
        if url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
            token = args.pop("token", None)
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer "):
                token = auth.removeprefix("Bearer ")
            status, headers, answer = fake._serve(method, _decode_json_fields(args), token)
        elif url.path.startswith("/response/"):
            args["_url"] = fake.base_url + url.path
            status, headers, answer = fake._serve("response_url", args, None)
        else:
            status, headers, answer = 404, {}, {"ok": False, "error": "unknown_path"}
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class FakeSlack(FakeWorkspace, LocalServer[_Server]):
    """Serves the workspace as a Slack-like Web API at `api_url`; point
    `WebClient(base_url=...)` there.

    Use as a context manager (or `start()`/`stop()`). Listeners run after Bolt's ack in
    other threads, so assert with `wait_for(method)` rather than `calls(method)`.
    """

    def __init__(
        self, *, team_id: str = "T0001", bot_user_id: str = "UBOTUSER", port: int = 0
    ) -> None:
        super().__init__(team_id=team_id, bot_user_id=bot_user_id)
        self.port = port
        self._changed = threading.Condition()
        self._calls: list[RecordedCall] = []
        self._failed: list[RecordedCall] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._response_urls = 0

    def _bind(self) -> _Server:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.fake = self
        return server

    @property
    def base_url(self) -> str:
        """The server's root, e.g. `http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self._running().server_address[1]}"

    @property
    def api_url(self) -> str:
        """Web API base URL for `WebClient(base_url=...)`, e.g. `http://127.0.0.1:PORT/api/`."""
        return f"{self.base_url}/api/"

    def response_url(self, tag: str = "") -> str:
        with self._changed:
            self._response_urls += 1
            number = self._response_urls
        suffix = f"/{quote(tag, safe='')}" if tag else ""
        return f"{self.base_url}/response/{number}{suffix}"

    # -- recorded calls --------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        with self._changed:
            return [c for c in self._calls if method in (None, c.method)]

    @property
    def failed_calls(self) -> list[RecordedCall]:
        """Calls answered with an error (`fail_next` or Slack-like refusals such as
        `msg_blocks_too_long`); `calls()` holds only the ones answered `ok: true`."""
        with self._changed:
            return list(self._failed)

    def posted_messages(self) -> list[dict[str, Any]]:
        return [c.args for c in self.calls("chat.postMessage")]

    def clear(self) -> None:
        with self._changed:
            self._calls.clear()
            self._failed.clear()
            self._faults.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until `count` successful calls of `method` are recorded; return them all."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: sum(c.method == method for c in self._calls) >= count, timeout
            )
            seen = [c.method for c in self._calls]
        if not done:
            raise TimeoutError(f"expected {count} x {method} within {timeout}s; got {seen}")
        return self.calls(method)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        times: int = 1,
        retry_after: int = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with HTTP `status` (429 carries
        Retry-After) or, when `error` is given, with HTTP 200 `{ok: false, error}`."""
        with self._changed:
            self._faults.setdefault(method, deque()).append(
                _Fault(status, times, retry_after, error)
            )

    def _serve(
        self, method: str, args: JsonDict, token: str | None
    ) -> tuple[int, dict[str, str], JsonDict]:
        status, headers, answer = self._injected_fault(method)
        if status == 200 and answer["ok"]:
            is_web_api = method != "response_url"
            answer = self.answer(method, args, token) if is_web_api else answer
        call = RecordedCall(method, args, token, answer)
        with self._changed:
            (self._calls if status == 200 and answer["ok"] else self._failed).append(call)
            self._changed.notify_all()
        return status, headers, answer

    def _injected_fault(self, method: str) -> tuple[int, dict[str, str], JsonDict]:
        with self._changed:
            faults = self._faults.get(method)
            if not faults:
                return 200, {}, {"ok": True}
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.popleft()
        if fault.error is not None:
            return 200, {}, {"ok": False, "error": fault.error}
        if fault.status == 429:
            retry = {"Retry-After": str(fault.retry_after)}
            return 429, retry, {"ok": False, "error": "ratelimited"}
        return fault.status, {}, {"ok": False, "error": "internal_error"}
