"""HTTP mode: Bolt's WSGI adapter under cheroot (a production WSGI server), plus /healthz.

Every Slack request arrives at `POST /slack/events`; `GET /healthz` answers 200 while the
database is reachable and 503 otherwise, for load balancers and orchestrators; its JSON body
also says whether the Slack API has answered yet (`"slack": "ok"` or `"unreachable"`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from cheroot.wsgi import Server
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class WsgiApp:
    """Routes /healthz to the health check and everything else to Bolt."""

    def __init__(
        self,
        bolt_app: App,
        is_healthy: Callable[[], bool],
        slack_status: Callable[[], str] | None = None,
    ) -> None:
        self.slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
        self.is_healthy = is_healthy
        self.slack_status = slack_status

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            healthy = self.is_healthy()
            report = {"status": "ok" if healthy else "database unreachable"}
            if self.slack_status is not None:
                # Informational: Slack being down is no reason to take the replica out.
                report["slack"] = self.slack_status()
            body = json.dumps(report).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(
                status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return self.slack(environ, start_response)


class HttpServer:
    """A cheroot server for the app; `serve()` blocks, `start()` runs it in a thread."""

    def __init__(
        self, wsgi_app: WsgiApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 16
    ) -> None:
        self.server = Server(
            (host, port),
            wsgi_app,
            numthreads=threads,
            request_queue_size=128,
            shutdown_timeout=10,
            server_name="promisebot",
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        bound = self.server.bind_addr
        return int(bound[1]) if isinstance(bound, tuple) else 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self) -> None:
        self.server.prepare()
        log.info("HTTP mode: listening on port %s", self.port)
        self.server.serve()

    def start(self) -> None:
        self.server.prepare()
        self._thread = threading.Thread(target=self.server.serve, name="http-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, let in-flight requests finish (up to the shutdown timeout)."""
        self.server.stop()
        if self._thread:
            self._thread.join(timeout=15)
