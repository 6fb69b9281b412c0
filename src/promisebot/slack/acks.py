"""The ack leaves as soon as a listener returns (`process_before_response`), with no 10 ms
poll; work that must not hold it up runs after it in the listener pool (`after_ack`)."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, BoltRequest
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.util.utils import get_arg_names_of_callable

Listener = Callable[..., None]


def run_after_ack(context: BoltContext, request: BoltRequest, work: Callable[[], None]) -> None:
    """Run `work` in the listener pool; a failure reaches the app's error handler, which
    tells the user (the ack has long gone)."""
    runner = context.listener_runner

    def run() -> None:
        try:
            work()
        except Exception as error:
            runner.listener_error_handler.handle(error=error, request=request, response=None)

    runner.listener_executor.submit(run)


def after_ack(listener: Listener) -> Listener:
    """Register `listener` to run after an empty ack: the ack goes at once and the listener
    (which may still call `ack()`, to no effect) runs in the listener pool. For buttons and
    events whose work (Slack calls, database writes) need not be in the ack's body."""
    names = get_arg_names_of_callable(listener)

    def acked(ack: Ack, request: BoltRequest, context: BoltContext, logger: Logger) -> None:
        ack()
        kwargs: dict[str, Any] = build_required_kwargs(
            logger=logger,
            required_arg_names=names,
            request=request,
            response=None,
            this_func=listener,
        )
        if "ack" in kwargs:
            kwargs["ack"] = Ack()  # type: ignore[no-untyped-call]
        run_after_ack(context, request, lambda: listener(**kwargs))

    acked.__name__ = acked.__qualname__ = getattr(listener, "__name__", "listener")
    return acked
