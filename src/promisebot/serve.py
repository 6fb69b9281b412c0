"""Process lifecycle for `promisebot run`: HTTP or Socket Mode until SIGTERM, then a clean stop."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from promisebot.bootstrap import Runtime
from promisebot.scheduler import PromisebotScheduler
from promisebot.slack.server import HttpServer, WsgiApp
from promisebot.slack.workspace import REJECTED_TOKEN_ERRORS, RejectedBotToken, Workspace, backoff

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Missing configuration; the message says how to set it."""


def check_slack_settings(runtime: Runtime, *, http: bool) -> None:
    settings = runtime.settings
    if settings.slack_bot_token is None:
        raise StartupError(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your "
            "Slack app's OAuth & Permissions page into the environment or .env."
        )
    if http and settings.slack_signing_secret is None:
        raise StartupError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it; copy it "
            "from your Slack app's Basic Information page."
        )


class SlackLogin:
    """`auth.test` until Slack answers, in a thread, so the process serves (/healthz, the
    scheduler) while Slack is unreachable; a rejected token stops the process instead."""

    def __init__(self, workspace: Workspace, on_rejected: Callable[[], None]) -> None:
        self.workspace = workspace
        self.on_rejected = on_rejected
        self.rejected: RejectedBotToken | None = None
        self._stop = threading.Event()
        self._first_attempt_done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slack-login", daemon=True)

    def start(self) -> None:
        """Returns after the first attempt; raises StartupError if Slack refused the token."""
        self._thread.start()
        self._first_attempt_done.wait()
        self.raise_if_rejected()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def raise_if_rejected(self) -> None:
        if self.rejected is not None:
            raise StartupError(str(self.rejected))

    def _run(self) -> None:
        delays = backoff()

        def waits() -> Iterator[float]:
            # keep_verifying asks for a delay only after a failed attempt: from then on the
            # process may start serving while this thread keeps trying.
            self._first_attempt_done.set()
            yield from delays

        try:
            self.workspace.keep_verifying(self._stop, waits())
        except RejectedBotToken as error:
            self.rejected = error
            if self._first_attempt_done.is_set():
                log.error("%s", error)
                self.on_rejected()
        finally:
            self._first_attempt_done.set()


def on_stop_signal(callback: Callable[[], None]) -> None:
    """Run `callback` once on SIGTERM/SIGINT, off the signal handler's frame."""
    fired = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if not fired.is_set():
            fired.set()
            log.info("received signal %s; shutting down", signum)
            threading.Thread(target=callback, name="shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_http(runtime: Runtime, *, port: int, scheduler: bool = True) -> None:
    check_slack_settings(runtime, http=True)
    stopped = threading.Event()
    server: HttpServer | None = None

    def stop() -> None:
        if server is not None:
            server.stop()  # returns once in-flight requests have finished
        stopped.set()

    login = SlackLogin(runtime.workspace, on_rejected=stop)
    login.start()
    runtime, jobs = _start_scheduler(runtime) if scheduler else (runtime, None)
    app = runtime.slack_app()
    _warm_lookups(runtime)
    server = HttpServer(
        WsgiApp(app, runtime.db.ping, runtime.workspace.slack_status),
        port=port,
        threads=runtime.settings.http_threads,
    )
    on_stop_signal(stop)
    try:
        if login.rejected is None:
            server.serve()
        # serve() returns as soon as it stops accepting; requests still being handled may
        # yet hand work to the listener pool, so drain it only once they are done.
        stopped.wait(timeout=30)
    finally:
        login.stop()
        _drain_listeners(app)
        if jobs is not None:
            jobs.shutdown(wait=True)
    login.raise_if_rejected()


def run_socket_mode(runtime: Runtime, *, scheduler: bool = True) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    check_slack_settings(runtime, http=False)
    app_token = runtime.settings.slack_app_token
    assert app_token is not None
    stopped = threading.Event()
    on_stop_signal(stopped.set)
    login = SlackLogin(runtime.workspace, on_rejected=stopped.set)
    login.start()
    runtime, jobs = _start_scheduler(runtime) if scheduler else (runtime, None)
    app = runtime.slack_app()
    _warm_lookups(runtime)
    # The client notices a dropped connection only at its next ping; Bolt defaults to 10 s.
    handler = SocketModeHandler(app, app_token.get_secret_value(), ping_interval=5)
    try:
        # Once connected, slack_sdk's client reconnects by itself after a drop.
        _connect_socket_mode(handler, stopped)
        stopped.wait()
    finally:
        login.stop()
        handler.close()  # type: ignore[no-untyped-call]
        _drain_listeners(app)
        if jobs is not None:
            jobs.shutdown(wait=True)
    login.raise_if_rejected()


def _warm_lookups(runtime: Runtime) -> None:
    """Build the lookups' in-memory catalog before taking traffic: built on a first request
    instead, a large tracker would make that request miss Slack's 3-second window."""
    started = time.perf_counter()
    try:
        promises = runtime.services.lookup.warm()
    except SQLAlchemyError as error:
        # Serve anyway (/healthz reports the database); the first lookup builds it.
        log.warning("lookup catalog not built at start-up: %s", type(error).__name__)
        return
    log.info("lookup catalog: %d promises in %.1f s", promises, time.perf_counter() - started)


def _connect_socket_mode(handler: SocketModeHandler, stopped: threading.Event) -> None:
    """Open the WebSocket, retrying with backoff while Slack cannot be reached."""
    delays = backoff()
    attempt = 0
    while not stopped.is_set():
        attempt += 1
        try:
            handler.connect()  # type: ignore[no-untyped-call]
        except SlackApiError as error:
            code = error.response.get("error")
            if code in REJECTED_TOKEN_ERRORS:
                raise StartupError(
                    f"Slack refused SLACK_APP_TOKEN ({code}): generate an app-level token "
                    "(xapp-…) with connections:write under Basic Information → App-Level Tokens."
                ) from None
            delay = next(delays)
            log.warning(
                "Socket Mode: Slack answered %s (attempt %d); retrying in %.0f s",
                code,
                attempt,
                delay,
            )
            stopped.wait(delay)
        except (OSError, SlackClientError) as error:
            delay = next(delays)
            log.warning(
                "Socket Mode: Slack unreachable (attempt %d: %s); retrying in %.0f s",
                attempt,
                type(error).__name__,
                delay,
            )
            stopped.wait(delay)
        else:
            log.info("Socket Mode: connected")
            return


def run_scheduler(runtime: Runtime, *, on_ready: Callable[[], None] = lambda: None) -> None:
    """Only the scheduled jobs (digests, proposal expiry) until SIGTERM/SIGINT."""
    check_slack_settings(runtime, http=False)
    stopped = threading.Event()
    login = SlackLogin(runtime.workspace, on_rejected=stopped.set)
    login.start()
    runtime, jobs = _start_scheduler(runtime)
    on_stop_signal(stopped.set)
    on_ready()
    try:
        stopped.wait()
    finally:
        login.stop()
        jobs.shutdown(wait=True)
    login.raise_if_rejected()
    log.info("scheduler stopped")


def _start_scheduler(runtime: Runtime) -> tuple[Runtime, PromisebotScheduler]:
    runtime, scheduler = runtime.with_scheduler()
    try:
        scheduler.start()
    except SQLAlchemyError as error:
        raise StartupError(
            f"Cannot read the reminder schedules ({type(error).__name__}); is the database "
            "reachable and migrated (`promisebot db upgrade`)?"
        ) from None
    return runtime, scheduler


def _drain_listeners(app: object) -> None:
    """Let work that runs after the ack (posts, updates) finish before the process exits."""
    executor = getattr(app, "listener_runner", None)
    pool = getattr(executor, "listener_executor", None)
    if pool is not None:
        pool.shutdown(wait=True)
