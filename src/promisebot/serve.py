"""Process lifecycle for `promisebot run`: HTTP or Socket Mode until SIGTERM, then a clean stop."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from promisebot.bootstrap import Runtime
from promisebot.scheduler import PromisebotScheduler
from promisebot.slack.server import HttpServer, WsgiApp

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
    runtime, jobs = _start_scheduler(runtime) if scheduler else (runtime, None)
    app = runtime.slack_app()
    server = HttpServer(
        WsgiApp(app, runtime.db.ping), port=port, threads=runtime.settings.http_threads
    )
    stopped = threading.Event()

    def stop() -> None:
        server.stop()  # returns once in-flight requests have finished
        stopped.set()

    on_stop_signal(stop)
    try:
        server.serve()
        # serve() returns as soon as it stops accepting; requests still being handled may
        # yet hand work to the listener pool, so drain it only once they are done.
        stopped.wait(timeout=30)
    finally:
        _drain_listeners(app)
        if jobs is not None:
            jobs.shutdown(wait=True)


def run_socket_mode(runtime: Runtime, *, scheduler: bool = True) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    check_slack_settings(runtime, http=False)
    app_token = runtime.settings.slack_app_token
    assert app_token is not None
    runtime, jobs = _start_scheduler(runtime) if scheduler else (runtime, None)
    app = runtime.slack_app()
    # The client notices a dropped connection only at its next ping; Bolt defaults to 10 s.
    handler = SocketModeHandler(app, app_token.get_secret_value(), ping_interval=5)
    stopped = threading.Event()
    on_stop_signal(stopped.set)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        log.info("Socket Mode: connected")
        stopped.wait()
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        _drain_listeners(app)
        if jobs is not None:
            jobs.shutdown(wait=True)


def run_scheduler(runtime: Runtime, *, on_ready: Callable[[], None] = lambda: None) -> None:
    """Only the scheduled jobs (digests, proposal expiry) until SIGTERM/SIGINT."""
    check_slack_settings(runtime, http=False)
    runtime, jobs = _start_scheduler(runtime)
    stopped = threading.Event()
    on_stop_signal(stopped.set)
    on_ready()
    try:
        stopped.wait()
    finally:
        jobs.shutdown(wait=True)
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
